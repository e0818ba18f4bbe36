package metrics

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	clientmetrics "k8s.io/client-go/tools/metrics"
)

// restClientRequests counts the agent's requests to the cluster's API
// server, as the kubelet's rest_client_requests_total does: how much an
// idle node costs the control plane shows in it (leases and status, and
// nothing else, at rest). One per process: client-go takes one hook.
var (
	restClientRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rest_client_requests_total",
		Help: "Number of HTTP requests to the cluster's API server, partitioned by status code, method, and host.",
	}, []string{"code", "method", "host"})
	hookOnce sync.Once
)

// RegisterRESTClient adds rest_client_requests_total to reg and has
// client-go count every request of this process in it.
func RegisterRESTClient(reg prometheus.Registerer) error {
	hookOnce.Do(func() {
		clientmetrics.Register(clientmetrics.RegisterOpts{RequestResult: requestResult{}})
	})
	return reg.Register(restClientRequests)
}

type requestResult struct{}

func (requestResult) Increment(_ context.Context, code, method, host string) {
	restClientRequests.WithLabelValues(code, method, host).Inc()
}
