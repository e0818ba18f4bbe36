package metrics_test

import (
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/metrics"
)

// The sync loop and the CRI client declare what they report; the agent's
// main hands them a *metrics.Kubelet.
var (
	_ kubelet.Metrics = (*metrics.Kubelet)(nil)
	_ cri.Observer    = (*metrics.Kubelet)(nil)
)
