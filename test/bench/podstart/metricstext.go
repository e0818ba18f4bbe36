package main

import (
	"fmt"
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The agent's metrics the bench reads (metrics/kubelet.go).
const (
	metricRuntimeOps = "kubelet_runtime_operations_total"
	metricRelist     = "kubelet_pleg_relist_duration_seconds"
	metricGoroutines = "go_goroutines"
	metricAPIReqs    = "rest_client_requests_total" // only on a node that joined a cluster
	labelOperation   = "operation_type"
)

// agentMetrics is what one scrape of the agent's /metrics tells the bench.
// Subtracting two scrapes (since) gives what happened in between.
type agentMetrics struct {
	ops           opCounts           // CRI calls by operation
	relists       float64            // relists done (the relist histogram's count)
	relistSeconds float64            // their total duration (its sum)
	goroutines    float64            // a gauge: since keeps the later value
	apiRequests   map[string]float64 // requests to kube-apiserver by method
}

// parseAgentMetrics reads the Prometheus text format of the agent's
// /metrics. The relist histogram must be there: the agent always exports
// it, so its absence means the bench scraped something else.
func parseAgentMetrics(r io.Reader) (agentMetrics, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return agentMetrics{}, fmt.Errorf("parsing the agent's /metrics: %w", err)
	}
	relist, ok := families[metricRelist]
	if !ok || len(relist.GetMetric()) == 0 || relist.GetMetric()[0].GetHistogram() == nil {
		return agentMetrics{}, fmt.Errorf("the agent's /metrics has no histogram %s", metricRelist)
	}
	h := relist.GetMetric()[0].GetHistogram()
	m := agentMetrics{ops: opCounts{}, relists: float64(h.GetSampleCount()), relistSeconds: h.GetSampleSum()}
	for _, metric := range families[metricRuntimeOps].GetMetric() {
		m.ops[labelValue(metric, labelOperation)] += metric.GetCounter().GetValue()
	}
	if family, ok := families[metricAPIReqs]; ok {
		m.apiRequests = map[string]float64{}
		for _, metric := range family.GetMetric() {
			m.apiRequests[labelValue(metric, "method")] += metric.GetCounter().GetValue()
		}
	}
	if g := families[metricGoroutines].GetMetric(); len(g) > 0 {
		m.goroutines = g[0].GetGauge().GetValue()
	}
	return m, nil
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// since is what happened between an earlier scrape and m.
func (m agentMetrics) since(earlier agentMetrics) agentMetrics {
	var requests map[string]float64
	if m.apiRequests != nil {
		requests = map[string]float64{}
	}
	for method, v := range m.apiRequests {
		if d := v - earlier.apiRequests[method]; d != 0 {
			requests[method] = d
		}
	}
	return agentMetrics{
		apiRequests:   requests,
		ops:           m.ops.minus(earlier.ops),
		relists:       m.relists - earlier.relists,
		relistSeconds: m.relistSeconds - earlier.relistSeconds,
		goroutines:    m.goroutines,
	}
}

// workOps are the CRI calls of a stretch minus those its relists made:
// the calls the pods' work cost.
func (m agentMetrics) workOps() opCounts { return m.ops.withoutRelists(m.relists) }
