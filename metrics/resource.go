package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The kubelet's stable resource metrics (/metrics/resource), which
// metrics-server, and so `kubectl top` and the HPA, read.
var (
	nodeCPUDesc = prometheus.NewDesc("node_cpu_usage_seconds_total",
		"Cumulative cpu time consumed by the node in core-seconds", nil, nil)
	nodeMemoryDesc = prometheus.NewDesc("node_memory_working_set_bytes",
		"Current working set of the node in bytes", nil, nil)
	containerCPUDesc = prometheus.NewDesc("container_cpu_usage_seconds_total",
		"Cumulative cpu time consumed by the container in core-seconds", []string{"container", "pod", "namespace"}, nil)
	containerMemoryDesc = prometheus.NewDesc("container_memory_working_set_bytes",
		"Current working set of the container in bytes", []string{"container", "pod", "namespace"}, nil)
	containerStartDesc = prometheus.NewDesc("container_start_time_seconds",
		"Start time of the container since unix epoch in seconds", []string{"container", "pod", "namespace"}, nil)
	podCPUDesc = prometheus.NewDesc("pod_cpu_usage_seconds_total",
		"Cumulative cpu time consumed by the pod in core-seconds", []string{"pod", "namespace"}, nil)
	podMemoryDesc = prometheus.NewDesc("pod_memory_working_set_bytes",
		"Current working set of the pod in bytes", []string{"pod", "namespace"}, nil)
	// The kubelet exports both names: scrape_error is deprecated since 1.29
	// in favour of resource_scrape_error, and dashboards use either.
	scrapeErrorDesc = prometheus.NewDesc("scrape_error",
		"1 if there was an error while getting container metrics, 0 otherwise", nil, nil)
	resourceScrapeErrorDesc = prometheus.NewDesc("resource_scrape_error",
		"1 if there was an error while getting container metrics, 0 otherwise", nil, nil)
)

// resourceCollector exports the latest stats snapshot as resource
// metrics. It keeps no per-series state: every scrape emits const metrics
// for exactly the containers and pods running now.
type resourceCollector struct {
	snapshot func() *snapshot
}

// Describe implements prometheus.Collector.
func (c resourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{nodeCPUDesc, nodeMemoryDesc, containerCPUDesc, containerMemoryDesc,
		containerStartDesc, podCPUDesc, podMemoryDesc, scrapeErrorDesc, resourceScrapeErrorDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c resourceCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	failed := 0.0
	if s == nil || s.err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(scrapeErrorDesc, prometheus.GaugeValue, failed)
	ch <- prometheus.MustNewConstMetric(resourceScrapeErrorDesc, prometheus.GaugeValue, failed)
	if s == nil {
		return
	}
	emit(ch, nodeCPUDesc, prometheus.CounterValue, s.node.cpu)
	emit(ch, nodeMemoryDesc, prometheus.GaugeValue, s.node.workingSet)
	for i := range s.containers {
		ct := &s.containers[i]
		if ct.startTime > 0 {
			ch <- prometheus.MustNewConstMetric(containerStartDesc, prometheus.GaugeValue, ct.startTime, ct.name, ct.pod, ct.namespace)
		}
		emit(ch, containerCPUDesc, prometheus.CounterValue, ct.cpu, ct.name, ct.pod, ct.namespace)
		emit(ch, containerMemoryDesc, prometheus.GaugeValue, ct.workingSet, ct.name, ct.pod, ct.namespace)
	}
	for i := range s.pods {
		p := &s.pods[i]
		emit(ch, podCPUDesc, prometheus.CounterValue, p.cpu, p.name, p.namespace)
		emit(ch, podMemoryDesc, prometheus.GaugeValue, p.workingSet, p.name, p.namespace)
	}
}

// emit sends one sample as a const metric stamped with the runtime's
// measurement time, as the kubelet does, so rates are computed over the
// runtime's sampling and not the scrape's; it sends nothing for a missing
// sample.
func emit(ch chan<- prometheus.Metric, desc *prometheus.Desc, kind prometheus.ValueType, s sample, labels ...string) {
	if !s.ok {
		return
	}
	m := prometheus.MustNewConstMetric(desc, kind, s.value, labels...)
	if !s.at.IsZero() {
		m = prometheus.NewMetricWithTimestamp(s.at, m)
	}
	ch <- m
}
