package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the container_state label, as the kubelet uses them.
const (
	ContainerStateCreated = "created"
	ContainerStateRunning = "running"
	ContainerStateExited  = "exited"
	ContainerStateUnknown = "unknown"
)

// PodCounter reports what the agent knows runs on the node: the number of
// pods with a ready sandbox, and the agent's containers by state (keys are
// ContainerState* values). It is read at scrape time, so it must be cheap
// and safe for concurrent use.
type PodCounter interface {
	CountPods() (running int, containersByState map[string]int)
}

var (
	runningPodsDesc = prometheus.NewDesc("kubelet_running_pods",
		"Number of pods that have a running pod sandbox", nil, nil)
	runningContainersDesc = prometheus.NewDesc("kubelet_running_containers",
		"Number of containers currently running", []string{"container_state"}, nil)
)

// podCountCollector exports the PodCounter's view at scrape time.
type podCountCollector struct {
	counter atomic.Pointer[PodCounter]
}

func newPodCountCollector() *podCountCollector { return &podCountCollector{} }

func (c *podCountCollector) setCounter(pc PodCounter) { c.counter.Store(&pc) }

// Describe implements prometheus.Collector.
func (c *podCountCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- runningPodsDesc
	ch <- runningContainersDesc
}

// Collect implements prometheus.Collector.
func (c *podCountCollector) Collect(ch chan<- prometheus.Metric) {
	pc := c.counter.Load()
	if pc == nil || *pc == nil {
		return
	}
	running, byState := (*pc).CountPods()
	ch <- prometheus.MustNewConstMetric(runningPodsDesc, prometheus.GaugeValue, float64(running))
	// The four kubelet states are always exported, so a state that empties
	// reads 0 rather than vanishing.
	for _, state := range []string{ContainerStateCreated, ContainerStateRunning, ContainerStateExited, ContainerStateUnknown} {
		ch <- prometheus.MustNewConstMetric(runningContainersDesc, prometheus.GaugeValue, float64(byState[state]), state)
	}
	for state, n := range byState {
		if !isKubeletState(state) {
			ch <- prometheus.MustNewConstMetric(runningContainersDesc, prometheus.GaugeValue, float64(n), state)
		}
	}
}

func isKubeletState(s string) bool {
	switch s {
	case ContainerStateCreated, ContainerStateRunning, ContainerStateExited, ContainerStateUnknown:
		return true
	}
	return false
}

var manifestErrorsDesc = prometheus.NewDesc("minikubelet_manifest_errors",
	"Errors in the static pod manifest file named by the file label; the file's pod keeps its last good spec, or is not run.",
	[]string{"file"}, nil)

// manifestErrorCollector exports the latest set of bad manifest files.
// Replacing the whole set at once means a scrape never sees it half reset.
type manifestErrorCollector struct {
	mu     sync.Mutex
	counts map[string]int
}

func newManifestErrorCollector() *manifestErrorCollector {
	return &manifestErrorCollector{counts: map[string]int{}}
}

func (c *manifestErrorCollector) set(files []string) {
	counts := make(map[string]int, len(files))
	for _, f := range files {
		counts[f]++
	}
	c.mu.Lock()
	c.counts = counts
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *manifestErrorCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- manifestErrorsDesc
}

// Collect implements prometheus.Collector.
func (c *manifestErrorCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	counts := c.counts // set replaces the map, never mutates it
	c.mu.Unlock()
	for f, n := range counts {
		ch <- prometheus.MustNewConstMetric(manifestErrorsDesc, prometheus.GaugeValue, float64(n), f)
	}
}
