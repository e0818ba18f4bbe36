package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Values of the container_type label, as the kubelet uses them.
const (
	ContainerTypeContainer = "container"
	ContainerTypeInit      = "init_container"
	ContainerTypeEphemeral = "ephemeral_container"
)

// Values of the operation_type label of kubelet_pod_worker_duration_seconds,
// as the kubelet uses them.
const (
	PodWorkerCreate = "create"
	PodWorkerUpdate = "update"
	PodWorkerSync   = "sync"
	PodWorkerKill   = "kill"
)

// Values of the static label. The kubelet labels pods that do not come from
// a manifest file with the empty string, not "false".
const (
	staticPod    = "true"
	nonStaticPod = ""
)

// Kubelet holds the node agent's own metrics under the kubelet's names,
// types, labels and buckets, plus minikubelet's own. All methods are safe
// for concurrent use. Build one with New.
type Kubelet struct {
	podStart     prometheus.Histogram
	podStartSLI  prometheus.Histogram
	podWorker    *prometheus.HistogramVec
	runtimeOps   *prometheus.CounterVec
	runtimeErrs  *prometheus.CounterVec
	runtimeDur   *prometheus.HistogramVec
	sandboxDur   *prometheus.HistogramVec
	sandboxErrs  *prometheus.CounterVec
	startedPods  prometheus.Counter
	podErrs      prometheus.Counter
	started      *prometheus.CounterVec
	startErrs    *prometheus.CounterVec
	restarted    *prometheus.CounterVec
	desired      *prometheus.GaugeVec
	imagePull    *prometheus.HistogramVec
	plegDuration prometheus.Histogram
	plegInterval prometheus.Histogram
	plegLastSeen prometheus.Gauge
	eventedConn  prometheus.Counter
	eventedErrs  prometheus.Counter
	eventedLat   prometheus.Histogram
	cniReleased  prometheus.Counter
	cniRepairs   prometheus.Counter
	logRotations prometheus.Counter
	diskFull     *prometheus.GaugeVec
	manifests    *manifestErrorCollector
	pods         *podCountCollector
	now          func() time.Time
}

// New creates the agent's metrics and registers them, together with the Go
// runtime and process collectors, with reg. A nil reg registers nothing,
// which gives working but unexported metrics (useful in tests). The error
// names the metric that could not be registered, typically because reg
// already holds one of that name.
func New(reg prometheus.Registerer) (*Kubelet, error) {
	k := newKubelet()
	if reg == nil {
		return k, nil
	}
	for _, c := range k.collectors() {
		if err := reg.Register(c.collector); err != nil {
			return nil, fmt.Errorf("registering metric %s: %w", c.name, err)
		}
	}
	return k, nil
}

func newKubelet() *Kubelet {
	k := &Kubelet{
		podStart: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pod_start_duration_seconds",
			Help:    "Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run",
			Buckets: podStartBuckets,
		}),
		podStartSLI: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pod_start_sli_duration_seconds",
			Help:    "Duration in seconds to start a pod, excluding time to pull images and run init containers, measured from pod creation timestamp to when all its containers are reported as started and observed via watch",
			Buckets: podStartBuckets,
		}),
		podWorker: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kubelet_pod_worker_duration_seconds",
			Help:    "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync",
			Buckets: defaultBuckets,
		}, []string{"operation_type"}),
		runtimeOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubelet_runtime_operations_total",
			Help: "Cumulative number of runtime operations by operation type.",
		}, []string{"operation_type"}),
		runtimeErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubelet_runtime_operations_errors_total",
			Help: "Cumulative number of runtime operation errors by operation type.",
		}, []string{"operation_type"}),
		runtimeDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kubelet_runtime_operations_duration_seconds",
			Help:    "Duration in seconds of runtime operations. Broken down by operation type.",
			Buckets: runtimeOperationBuckets,
		}, []string{"operation_type"}),
		sandboxDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kubelet_run_podsandbox_duration_seconds",
			Help:    "Duration in seconds of the run_podsandbox operations. Broken down by RuntimeClass.Handler.",
			Buckets: defaultBuckets,
		}, []string{"runtime_handler"}),
		sandboxErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubelet_run_podsandbox_errors_total",
			Help: "Cumulative number of the run_podsandbox operation errors by RuntimeClass.Handler.",
		}, []string{"runtime_handler"}),
		startedPods: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kubelet_started_pods_total",
			Help: "Cumulative number of pods started",
		}),
		podErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kubelet_started_pods_errors_total",
			Help: "Cumulative number of errors when starting pods",
		}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubelet_started_containers_total",
			Help: "Cumulative number of containers started",
		}, []string{"container_type"}),
		startErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubelet_started_containers_errors_total",
			Help: "Cumulative number of errors when starting containers",
		}, []string{"container_type", "code"}),
		restarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubelet_restarted_pods_total",
			Help: "Number of pods that have been restarted because they were deleted and recreated with the same UID while the kubelet was watching them (common for static pods, extremely uncommon for API pods)",
		}, []string{"static"}),
		desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kubelet_desired_pods",
			Help: "The number of pods the kubelet is being instructed to run. static is true if the pod is not from the apiserver.",
		}, []string{"static"}),
		imagePull: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kubelet_image_pull_duration_seconds",
			Help:    "Duration in seconds to pull an image.",
			Buckets: imagePullBuckets,
		}, []string{"image_size_in_bytes"}),
		plegDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pleg_relist_duration_seconds",
			Help:    "Duration in seconds for relisting pods in PLEG.",
			Buckets: defaultBuckets,
		}),
		plegInterval: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_pleg_relist_interval_seconds",
			Help:    "Interval in seconds between relisting in PLEG.",
			Buckets: defaultBuckets,
		}),
		plegLastSeen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kubelet_pleg_last_seen_seconds",
			Help: "Timestamp in seconds when PLEG was last seen active.",
		}),
		eventedConn: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kubelet_evented_pleg_connection_success_count",
			Help: "The number of times a streaming client was obtained to receive CRI Events.",
		}),
		eventedErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kubelet_evented_pleg_connection_error_count",
			Help: "The number of errors encountered during the establishment of streaming connection with the CRI runtime.",
		}),
		eventedLat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kubelet_evented_pleg_connection_latency_seconds",
			Help:    "The latency of streaming connection with the CRI runtime, measured in seconds.",
			Buckets: defaultBuckets,
		}),
		cniReleased: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "minikubelet_cni_leaked_addresses_released_total",
			Help: "Pod IP addresses that IPAM still held for pods that no longer exist (left by a crash) and that minikubelet released.",
		}),
		cniRepairs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "minikubelet_cni_config_repairs_total",
			Help: "Times minikubelet rewrote a missing or damaged CNI network configuration.",
		}),
		logRotations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "minikubelet_container_log_rotations_total",
			Help: "Container log files rotated because they reached their size limit.",
		}),
		diskFull: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "minikubelet_disk_full",
			Help: "1 while the file system behind an agent directory (flag: root-dir, pod-log-dir) is full: container logs are lost, or new pods cannot start.",
		}, []string{"flag"}),
		manifests: newManifestErrorCollector(),
		pods:      newPodCountCollector(),
		now:       time.Now,
	}
	k.initLabels()
	return k
}

// initLabels creates the series that dashboards expect to exist before
// the first event, so that rate() and absent() behave from the start.
func (k *Kubelet) initLabels() {
	k.desired.WithLabelValues(staticPod)
	k.desired.WithLabelValues(nonStaticPod)
	k.restarted.WithLabelValues(staticPod)
	k.restarted.WithLabelValues(nonStaticPod)
	for _, t := range []string{ContainerTypeContainer, ContainerTypeInit} {
		k.started.WithLabelValues(t)
	}
}

// namedCollector pairs a collector with the name used in registration
// errors.
type namedCollector struct {
	name      string
	collector prometheus.Collector
}

func (k *Kubelet) collectors() []namedCollector {
	return []namedCollector{
		{"kubelet_pod_start_duration_seconds", k.podStart},
		{"kubelet_pod_start_sli_duration_seconds", k.podStartSLI},
		{"kubelet_pod_worker_duration_seconds", k.podWorker},
		{"kubelet_runtime_operations_total", k.runtimeOps},
		{"kubelet_runtime_operations_errors_total", k.runtimeErrs},
		{"kubelet_runtime_operations_duration_seconds", k.runtimeDur},
		{"kubelet_run_podsandbox_duration_seconds", k.sandboxDur},
		{"kubelet_run_podsandbox_errors_total", k.sandboxErrs},
		{"kubelet_started_pods_total", k.startedPods},
		{"kubelet_started_pods_errors_total", k.podErrs},
		{"kubelet_started_containers_total", k.started},
		{"kubelet_started_containers_errors_total", k.startErrs},
		{"kubelet_restarted_pods_total", k.restarted},
		{"kubelet_desired_pods", k.desired},
		{"kubelet_image_pull_duration_seconds", k.imagePull},
		{"kubelet_pleg_relist_duration_seconds", k.plegDuration},
		{"kubelet_pleg_relist_interval_seconds", k.plegInterval},
		{"kubelet_pleg_last_seen_seconds", k.plegLastSeen},
		{"kubelet_evented_pleg_connection_success_count", k.eventedConn},
		{"kubelet_evented_pleg_connection_error_count", k.eventedErrs},
		{"kubelet_evented_pleg_connection_latency_seconds", k.eventedLat},
		{"minikubelet_cni_leaked_addresses_released_total", k.cniReleased},
		{"minikubelet_cni_config_repairs_total", k.cniRepairs},
		{"minikubelet_container_log_rotations_total", k.logRotations},
		{"minikubelet_disk_full", k.diskFull},
		{"minikubelet_manifest_errors", k.manifests},
		{"kubelet_running_pods and kubelet_running_containers", k.pods},
		{"go runtime (go_*)", collectors.NewGoCollector()},
		{"process (process_*)", collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})},
	}
}
