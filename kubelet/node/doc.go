// Package node makes the agent a Node of a Kubernetes cluster, as the
// kubelet's node status code and lease controller do: it registers the
// Node (or adopts the one that exists), renews its Lease in
// kube-node-lease, and keeps its status (addresses, capacity, nodeInfo,
// conditions) up to date through the nodes/status subresource.
//
// What the Node says is built by pure functions (build.go, conditions.go)
// from a struct of host observations (host.go), so the rules are table
// tested; the loops (register.go, lease.go, status.go) only talk to the
// API server, each call under a timeout.
package node
