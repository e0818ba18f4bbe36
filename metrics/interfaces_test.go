package metrics_test

import (
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/metrics"
)

// The sync loop and the CRI client declare what they report; the agent's
// main hands them a *metrics.Kubelet, and the CRI client to NewHandlers.
var (
	_ kubelet.Metrics     = (*metrics.Kubelet)(nil)
	_ cri.Observer        = (*metrics.Kubelet)(nil)
	_ metrics.StatsSource = (*cri.Client)(nil)
	_ metrics.ImageLister = (*cri.Client)(nil)
)
