package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// cAdvisor's names and labels (/metrics/cadvisor) for the series that the
// common Kubernetes dashboards and recording rules read. The name label is
// the runtime's container ID, as cAdvisor reports it under containerd.
var (
	cadvisorLabels = []string{"container", "pod", "namespace", "image", "name"}

	cadvisorCPUDesc = prometheus.NewDesc("container_cpu_usage_seconds_total",
		"Cumulative cpu time consumed in seconds.", slices.Concat(cadvisorLabels, []string{"cpu"}), nil)
	cadvisorWorkingSetDesc = prometheus.NewDesc("container_memory_working_set_bytes",
		"Current working set in bytes.", cadvisorLabels, nil)
	cadvisorMemoryUsageDesc = prometheus.NewDesc("container_memory_usage_bytes",
		"Current memory usage in bytes, including all memory regardless of when it was accessed", cadvisorLabels, nil)
	cadvisorRSSDesc = prometheus.NewDesc("container_memory_rss",
		"Size of RSS in bytes.", cadvisorLabels, nil)
	cadvisorFsUsageDesc = prometheus.NewDesc("container_fs_usage_bytes",
		"Number of bytes that are consumed by the container on this filesystem.", slices.Concat(cadvisorLabels, []string{"device"}), nil)
	cadvisorRxDesc = prometheus.NewDesc("container_network_receive_bytes_total",
		"Cumulative count of bytes received", slices.Concat(cadvisorLabels, []string{"interface"}), nil)
	cadvisorTxDesc = prometheus.NewDesc("container_network_transmit_bytes_total",
		"Cumulative count of bytes transmitted", slices.Concat(cadvisorLabels, []string{"interface"}), nil)
)

// cpuTotal is cAdvisor's cpu label value when per-CPU usage is off.
const cpuTotal = "total"

// cadvisorCollector exports the latest stats snapshot under cAdvisor's
// names. Like resourceCollector it keeps no per-series state.
type cadvisorCollector struct {
	snapshot func() *snapshot
}

// Describe implements prometheus.Collector.
func (c cadvisorCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cadvisorCPUDesc, cadvisorWorkingSetDesc, cadvisorMemoryUsageDesc,
		cadvisorRSSDesc, cadvisorFsUsageDesc, cadvisorRxDesc, cadvisorTxDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c cadvisorCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	if s == nil {
		return
	}
	for i := range s.containers {
		ct := &s.containers[i]
		emit(ch, cadvisorCPUDesc, prometheus.CounterValue, ct.cpu, ct.name, ct.pod, ct.namespace, ct.image, ct.id, cpuTotal)
		emit(ch, cadvisorWorkingSetDesc, prometheus.GaugeValue, ct.workingSet, ct.name, ct.pod, ct.namespace, ct.image, ct.id)
		emit(ch, cadvisorMemoryUsageDesc, prometheus.GaugeValue, ct.usage, ct.name, ct.pod, ct.namespace, ct.image, ct.id)
		emit(ch, cadvisorRSSDesc, prometheus.GaugeValue, ct.rss, ct.name, ct.pod, ct.namespace, ct.image, ct.id)
		emit(ch, cadvisorFsUsageDesc, prometheus.GaugeValue, ct.fsUsed, ct.name, ct.pod, ct.namespace, ct.image, ct.id, ct.fsDevice)
	}
	// Network figures belong to the pod's network namespace, which cAdvisor
	// reports on the sandbox with an empty container label.
	for i := range s.pods {
		p := &s.pods[i]
		for _, iface := range p.interfaces {
			emit(ch, cadvisorRxDesc, prometheus.CounterValue, iface.rx, "", p.name, p.namespace, "", p.sandboxID, iface.name)
			emit(ch, cadvisorTxDesc, prometheus.CounterValue, iface.tx, "", p.name, p.namespace, "", p.sandboxID, iface.name)
		}
	}
}
