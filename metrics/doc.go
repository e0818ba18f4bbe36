// Package metrics holds minikubelet's Prometheus metrics, named like the
// kubelet's so that existing dashboards work unchanged.
package metrics
