package kubelet

import "time"

// Metrics is what the sync loop reports; metrics.Kubelet implements it.
type Metrics interface {
	SetDesiredPods(n int)
	ObservePodStart(d time.Duration)
	ObservePodWorker(operation string, d time.Duration)
	ObserveRunPodSandbox(runtimeHandler string, d time.Duration)
	StartedPod()
	StartedContainer(containerType string, err error)
	RestartedPod()
	ObserveImagePull(d time.Duration)
	ObservePLEGRelist(duration, interval time.Duration)
	ObserveEventStreamConnect(err error)
	ObserveEventLatency(d time.Duration)
}

type noMetrics struct{}

func (noMetrics) SetDesiredPods(int)                             {}
func (noMetrics) ObservePodStart(time.Duration)                  {}
func (noMetrics) ObservePodWorker(string, time.Duration)         {}
func (noMetrics) ObserveRunPodSandbox(string, time.Duration)     {}
func (noMetrics) StartedPod()                                    {}
func (noMetrics) StartedContainer(string, error)                 {}
func (noMetrics) RestartedPod()                                  {}
func (noMetrics) ObserveImagePull(time.Duration)                 {}
func (noMetrics) ObservePLEGRelist(time.Duration, time.Duration) {}
func (noMetrics) ObserveEventStreamConnect(error)                {}
func (noMetrics) ObserveEventLatency(time.Duration)              {}
