package metrics

import (
	"time"

	"google.golang.org/grpc/status"
)

// ObservePodStart records the time from the agent first seeing a pod to
// all its containers running (kubelet_pod_start_duration_seconds).
func (k *Kubelet) ObservePodStart(d time.Duration) {
	k.podStart.Observe(d.Seconds())
}

// ObservePodStartSLI records a pod's start time excluding image pulls and
// init containers (kubelet_pod_start_sli_duration_seconds).
func (k *Kubelet) ObservePodStartSLI(d time.Duration) {
	k.podStartSLI.Observe(d.Seconds())
}

// ObservePodWorker records one pod sync by a pod worker; op is one of the
// PodWorker* constants.
func (k *Kubelet) ObservePodWorker(op string, d time.Duration) {
	k.podWorker.WithLabelValues(op).Observe(d.Seconds())
}

// ObserveOperation records one CRI call: operation is the kubelet's
// snake_case name for it (run_podsandbox, create_container, pull_image,
// ...) and err its result. It implements the CRI client's Observer, which
// calls it once per RPC.
func (k *Kubelet) ObserveOperation(operation string, d time.Duration, err error) {
	k.runtimeOps.WithLabelValues(operation).Inc()
	k.runtimeDur.WithLabelValues(operation).Observe(d.Seconds())
	if err != nil {
		k.runtimeErrs.WithLabelValues(operation).Inc()
	}
}

// ObserveRunPodSandbox records how long one RunPodSandbox call with the
// given runtime handler ("" for the runtime's default) took.
func (k *Kubelet) ObserveRunPodSandbox(handler string, d time.Duration) {
	k.sandboxDur.WithLabelValues(handler).Observe(d.Seconds())
}

// RunPodSandboxFailed records a pod sandbox that could not be started with
// the given runtime handler (kubelet_run_podsandbox_errors_total and
// kubelet_started_pods_errors_total).
func (k *Kubelet) RunPodSandboxFailed(handler string) {
	k.sandboxErrs.WithLabelValues(handler).Inc()
	k.podErrs.Inc()
}

// StartedPod counts one pod started (kubelet_started_pods_total).
func (k *Kubelet) StartedPod() {
	k.startedPods.Inc()
}

// StartedContainer records one attempt to create and start a container of
// the given type (a ContainerType* constant; the CRI label values "app"
// and "init" are accepted too). A non-nil err is counted by its gRPC
// status code ("Unknown" for errors that carry none), which keeps the code
// label to a handful of values.
func (k *Kubelet) StartedContainer(containerType string, err error) {
	containerType = kubeletContainerType(containerType)
	k.started.WithLabelValues(containerType).Inc()
	if err != nil {
		k.startErrs.WithLabelValues(containerType, status.Code(err).String()).Inc()
	}
}

// kubeletContainerType maps minikubelet's container kinds to the kubelet's
// label values, which dashboards filter on.
func kubeletContainerType(t string) string {
	switch t {
	case "app":
		return ContainerTypeContainer
	case "init":
		return ContainerTypeInit
	case "ephemeral":
		return ContainerTypeEphemeral
	}
	return t
}

// RestartedPod records a static pod deleted and recreated with the same
// UID while the agent watched it.
func (k *Kubelet) RestartedPod() {
	k.restarted.WithLabelValues(staticPod).Inc()
}

// SetDesiredPods sets how many pods the manifests ask for. All of them are
// static pods.
func (k *Kubelet) SetDesiredPods(n int) {
	k.desired.WithLabelValues(staticPod).Set(float64(n))
}

// ObserveImagePull records a successful pull of an image of unknown size
// (labelled image_size_in_bytes="N/A", as the kubelet does).
func (k *Kubelet) ObserveImagePull(d time.Duration) {
	k.ObserveImagePullOfSize(d, 0)
}

// ObserveImagePullOfSize records a successful image pull and the pulled
// image's size in bytes (0 if unknown).
func (k *Kubelet) ObserveImagePullOfSize(d time.Duration, sizeBytes uint64) {
	k.imagePull.WithLabelValues(imageSizeLabel(sizeBytes)).Observe(d.Seconds())
}

// ObservePLEGRelist records one relist of the runtime that took duration
// and has just finished, and the interval since the previous relist
// started (0 for the first relist, which has none).
func (k *Kubelet) ObservePLEGRelist(duration, interval time.Duration) {
	start := k.now().Add(-duration)
	k.plegDuration.Observe(duration.Seconds())
	if interval > 0 {
		k.plegInterval.Observe(interval.Seconds())
	}
	k.plegLastSeen.Set(float64(start.UnixNano()) / float64(time.Second))
}

// ObserveEventStreamConnect records an attempt to open the runtime's CRI
// event stream (GetContainerEvents): success or error.
func (k *Kubelet) ObserveEventStreamConnect(err error) {
	if err != nil {
		k.eventedErrs.Inc()
		return
	}
	k.eventedConn.Inc()
}

// ObserveEventLatency records the time from the runtime creating a CRI
// event to the agent receiving it.
func (k *Kubelet) ObserveEventLatency(d time.Duration) {
	k.eventedLat.Observe(d.Seconds())
}

// ReleasedLeakedAddresses counts pod IPs released because IPAM held them
// for pods that no longer exist.
func (k *Kubelet) ReleasedLeakedAddresses(n int) {
	if n > 0 {
		k.cniReleased.Add(float64(n))
	}
}

// RepairedCNIConfig counts one rewrite of a missing or damaged CNI config.
func (k *Kubelet) RepairedCNIConfig() {
	k.cniRepairs.Inc()
}

// RotatedContainerLog counts one container log rotation.
func (k *Kubelet) RotatedContainerLog() {
	k.logRotations.Inc()
}

// SetDiskFull says whether the file system behind the directory of flag
// (root-dir, pod-log-dir) is full.
func (k *Kubelet) SetDiskFull(flag string, full bool) {
	value := 0.0
	if full {
		value = 1
	}
	k.diskFull.WithLabelValues(flag).Set(value)
}

// SetManifestErrors replaces the set of manifest files that failed to
// load; each file is exported as minikubelet_manifest_errors{file} with the
// number of times it is listed. A file fixed since the last call
// disappears from the output.
func (k *Kubelet) SetManifestErrors(files []string) {
	k.manifests.set(files)
}

// SetPodCounter makes kubelet_running_pods and kubelet_running_containers
// read pc at every scrape, so they are never stale. Until it is called
// those metrics are not exported.
func (k *Kubelet) SetPodCounter(pc PodCounter) {
	k.pods.setCounter(pc)
}
