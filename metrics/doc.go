// Package metrics holds minikubelet's Prometheus metrics, named like the
// kubelet's so that existing dashboards work unchanged.
//
// Three endpoints, as on a kubelet:
//
//   - /metrics: the agent's own metrics (Kubelet, built by New) under the
//     kubelet's names, types, labels and histogram buckets, minikubelet's
//     own (minikubelet_*), and the Go runtime and process collectors.
//   - /metrics/resource: the kubelet's stable resource metrics
//     (node/pod/container CPU and working set, container start time,
//     scrape_error) that metrics-server reads.
//   - /metrics/cadvisor: cAdvisor's names and labels for the series that
//     common dashboards use.
//
// The last two are built from CRI ListContainers, ListPodSandbox,
// ListContainerStats and ListPodSandboxStats, fetched at most once per
// cache TTL whatever the number of scrapers, and exported as const metrics
// with the runtime's timestamps, so nothing is kept per series.
//
// The same cache feeds Handlers.Usage, the node's and containers' CPU rate
// and working set that the node API serves as metrics.k8s.io (kubectl
// top): it keeps the snapshots of the last 15 s to take a rate between
// two of them.
//
// Wiring, in the agent's main:
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)        // kubelet.Config.Metrics and cri.Config.Observer
//	m.SetPodCounter(syncLoop)         // running pods/containers, read at scrape time
//	m.SetManifestErrors(files)        // on every manifest snapshot
//	h, err := metrics.NewHandlers(metrics.HandlerConfig{
//		Gatherer: reg, Runtime: criClient, Images: criClient,
//		PodSelector: ownLabels, Logger: log,
//	})
//	routes := h.Routes()              // "GET /metrics", "GET /metrics/resource", ...
package metrics
