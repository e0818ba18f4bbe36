package prober

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
)

// probeMetrics counts probe runs as the kubelet's prober_probe_total does.
type probeMetrics struct {
	total *prometheus.CounterVec
}

// newProbeMetrics registers the counter with reg; a nil reg keeps it
// unregistered (counting still works, nobody scrapes it). A counter
// already registered by an earlier Manager on the same registry is reused.
func newProbeMetrics(reg prometheus.Registerer) (*probeMetrics, error) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "prober_probe_total",
		Help: "Cumulative number of a liveness, readiness or startup probe for a container by result.",
	}, []string{"probe_type", "result", "container", "pod", "namespace", "pod_uid"})
	if reg == nil {
		return &probeMetrics{total: total}, nil
	}
	if err := reg.Register(total); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, fmt.Errorf("registering prober_probe_total: %w", err)
		}
		existing, ok := already.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, fmt.Errorf("registering prober_probe_total: another collector of that name is registered: %w", err)
		}
		total = existing
	}
	return &probeMetrics{total: total}, nil
}

// observe counts one run.
func (m *probeMetrics) observe(kind ProbeType, result Result, container, pod, namespace string, uid types.UID) {
	m.total.WithLabelValues(string(kind), string(result), container, pod, namespace, string(uid)).Inc()
}

// forgetPod drops a removed pod's series, so a node that churns pods does
// not grow its metrics without bound.
func (m *probeMetrics) forgetPod(uid types.UID) {
	m.total.DeletePartialMatch(prometheus.Labels{"pod_uid": string(uid)})
}
