// Package apipods runs the pods a cluster's scheduler binds to this node:
// Source lists and watches them in the API server and hands the sync loop
// the ones to run; Status sends their status back through pods/status and
// deletes a deleted pod for good once nothing of it is left on the node,
// as the kubelet's pod config and status manager do. Planning (which pods
// run, which are refused, which calls to make) is pure, in desired.go,
// admit.go and plan.go.
package apipods
