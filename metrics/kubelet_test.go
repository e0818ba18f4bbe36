package metrics

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func newTestKubelet(t *testing.T) (*Kubelet, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	k, err := New(reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k, reg
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range families {
		byName[f.GetName()] = f
	}
	return byName
}

func TestObserveOperationCountsCallsErrorsAndDuration(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.ObserveOperation("run_podsandbox", 200*time.Millisecond, nil)
	k.ObserveOperation("run_podsandbox", 300*time.Millisecond, errors.New("boom"))
	k.ObserveOperation("pull_image", 2*time.Second, status.Error(codes.NotFound, "no such image"))

	f := gather(t, reg)
	for _, tc := range []struct {
		op           string
		calls, errs  float64
		durationSum  float64
		durationCall uint64
	}{
		{"run_podsandbox", 2, 1, 0.5, 2},
		{"pull_image", 1, 1, 2, 1},
	} {
		op := map[string]string{"operation_type": tc.op}
		if got := value(findMetric(t, f, "kubelet_runtime_operations_total", op)); got != tc.calls {
			t.Errorf("%s calls = %v, want %v", tc.op, got, tc.calls)
		}
		if got := value(findMetric(t, f, "kubelet_runtime_operations_errors_total", op)); got != tc.errs {
			t.Errorf("%s errors = %v, want %v", tc.op, got, tc.errs)
		}
		h := findMetric(t, f, "kubelet_runtime_operations_duration_seconds", op).GetHistogram()
		if h.GetSampleCount() != tc.durationCall || math.Abs(h.GetSampleSum()-tc.durationSum) > 1e-9 {
			t.Errorf("%s duration count/sum = %d/%v, want %d/%v", tc.op, h.GetSampleCount(), h.GetSampleSum(), tc.durationCall, tc.durationSum)
		}
	}
}

func TestStartedContainerLabelsErrorsByGRPCCode(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.StartedContainer(ContainerTypeContainer, nil)
	k.StartedContainer(ContainerTypeContainer, status.Error(codes.DeadlineExceeded, "slow"))
	k.StartedContainer(ContainerTypeContainer, fmt.Errorf("starting app: %w", status.Error(codes.DeadlineExceeded, "slow")))
	k.StartedContainer(ContainerTypeInit, errors.New("not a gRPC error"))
	k.StartedContainer("app", nil) // minikubelet's CRI label value

	f := gather(t, reg)
	if got := value(findMetric(t, f, "kubelet_started_containers_total", map[string]string{"container_type": "container"})); got != 4 {
		t.Errorf("started containers = %v, want 4", got)
	}
	want := map[string]string{"container_type": "container", "code": "DeadlineExceeded"}
	if got := value(findMetric(t, f, "kubelet_started_containers_errors_total", want)); got != 2 {
		t.Errorf("DeadlineExceeded errors = %v, want 2 (wrapped status errors keep their code)", got)
	}
	want = map[string]string{"container_type": "init_container", "code": "Unknown"}
	if got := value(findMetric(t, f, "kubelet_started_containers_errors_total", want)); got != 1 {
		t.Errorf("Unknown errors = %v, want 1", got)
	}
}

func TestStartedEphemeralContainerHasTheKubeletsLabel(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.StartedContainer("ephemeral", nil) // minikubelet's CRI label value
	f := gather(t, reg)
	if got := value(findMetric(t, f, "kubelet_started_containers_total", map[string]string{"container_type": "ephemeral_container"})); got != 1 {
		t.Errorf("started ephemeral containers = %v, want 1", got)
	}
}

func TestPodSandboxStartsAndFailures(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.ObserveRunPodSandbox("", 100*time.Millisecond)
	k.ObserveRunPodSandbox("", 150*time.Millisecond)
	k.RunPodSandboxFailed("")
	k.ObserveRunPodSandbox("kata", time.Second)
	k.StartedPod()
	k.StartedPod()

	f := gather(t, reg)
	if got := value(findMetric(t, f, "kubelet_started_pods_total", nil)); got != 2 {
		t.Errorf("started pods = %v, want 2", got)
	}
	if got := value(findMetric(t, f, "kubelet_started_pods_errors_total", nil)); got != 1 {
		t.Errorf("pod start errors = %v, want 1", got)
	}
	if got := value(findMetric(t, f, "kubelet_run_podsandbox_errors_total", map[string]string{"runtime_handler": ""})); got != 1 {
		t.Errorf("sandbox errors for default handler = %v, want 1", got)
	}
	def := findMetric(t, f, "kubelet_run_podsandbox_duration_seconds", map[string]string{"runtime_handler": ""}).GetHistogram()
	if def.GetSampleCount() != 2 || math.Abs(def.GetSampleSum()-0.25) > 1e-9 {
		t.Errorf("default sandbox duration count/sum = %d/%v, want 2/0.25", def.GetSampleCount(), def.GetSampleSum())
	}
	kata := findMetric(t, f, "kubelet_run_podsandbox_duration_seconds", map[string]string{"runtime_handler": "kata"}).GetHistogram()
	if kata.GetSampleCount() != 1 || kata.GetSampleSum() != 1 {
		t.Errorf("kata sandbox duration count/sum = %d/%v, want 1/1", kata.GetSampleCount(), kata.GetSampleSum())
	}
}

func TestObservePLEGRelist(t *testing.T) {
	k, reg := newTestKubelet(t)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	k.now = clock.now

	k.ObservePLEGRelist(100*time.Millisecond, 0) // the first relist has no interval
	clock.advance(time.Second)
	k.ObservePLEGRelist(300*time.Millisecond, 800*time.Millisecond) // started at 1000.7

	f := gather(t, reg)
	interval := findMetric(t, f, "kubelet_pleg_relist_interval_seconds", nil).GetHistogram()
	if interval.GetSampleCount() != 1 || math.Abs(interval.GetSampleSum()-0.8) > 1e-9 {
		t.Errorf("relist interval count/sum = %d/%v, want 1/0.8", interval.GetSampleCount(), interval.GetSampleSum())
	}
	duration := findMetric(t, f, "kubelet_pleg_relist_duration_seconds", nil).GetHistogram()
	if duration.GetSampleCount() != 2 || math.Abs(duration.GetSampleSum()-0.4) > 1e-9 {
		t.Errorf("relist duration count/sum = %d/%v, want 2/0.4", duration.GetSampleCount(), duration.GetSampleSum())
	}
	if got := value(findMetric(t, f, "kubelet_pleg_last_seen_seconds", nil)); math.Abs(got-1000.7) > 1e-6 {
		t.Errorf("pleg last seen = %v, want 1000.7, the last relist's start", got)
	}
}

func TestStaticLabelsFollowTheKubelet(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.SetDesiredPods(4)
	k.RestartedPod()
	k.RestartedPod()

	f := gather(t, reg)
	for _, tc := range []struct {
		name, static string
		want         float64
	}{
		{"kubelet_desired_pods", "true", 4},
		{"kubelet_desired_pods", "", 0},
		{"kubelet_restarted_pods_total", "true", 2},
		{"kubelet_restarted_pods_total", "", 0},
	} {
		if got := value(findMetric(t, f, tc.name, map[string]string{"static": tc.static})); got != tc.want {
			t.Errorf("%s{static=%q} = %v, want %v", tc.name, tc.static, got, tc.want)
		}
	}
}

func TestImagePullIsLabelledBySizeBucket(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.ObserveImagePullOfSize(3*time.Second, 5*mib)
	k.ObserveImagePullOfSize(40*time.Second, 200*mib)
	k.ObserveImagePull(time.Second)

	f := gather(t, reg)
	for label, sum := range map[string]float64{"0-10MB": 3, "100MB-500MB": 40, "N/A": 1} {
		h := findMetric(t, f, "kubelet_image_pull_duration_seconds", map[string]string{"image_size_in_bytes": label}).GetHistogram()
		if h.GetSampleCount() != 1 || h.GetSampleSum() != sum {
			t.Errorf("pulls of %s: count/sum = %d/%v, want 1/%v", label, h.GetSampleCount(), h.GetSampleSum(), sum)
		}
	}
}

func TestImageSizeLabel(t *testing.T) {
	for size, want := range map[uint64]string{
		0: "N/A", 1: "0-10MB", 10 * mib: "0-10MB", 10*mib + 1: "10MB-100MB",
		700 * mib: "500MB-1GB", 3 * gib: "1GB-5GB", 100 * gib: "60GB-100GB", 100*gib + 1: "GT100GB",
	} {
		if got := imageSizeLabel(size); got != want {
			t.Errorf("imageSizeLabel(%d) = %q, want %q", size, got, want)
		}
	}
}

func TestSetManifestErrorsReplacesTheSet(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.SetManifestErrors([]string{"/etc/pods/a.yaml", "/etc/pods/b.yaml", "/etc/pods/b.yaml"})
	f := gather(t, reg)
	if got := value(findMetric(t, f, "minikubelet_manifest_errors", map[string]string{"file": "/etc/pods/b.yaml"})); got != 2 {
		t.Errorf("errors for b.yaml = %v, want 2", got)
	}

	k.SetManifestErrors([]string{"/etc/pods/b.yaml"})
	f = gather(t, reg)
	if n := len(f["minikubelet_manifest_errors"].GetMetric()); n != 1 {
		t.Errorf("after a.yaml was fixed, %d files are reported, want 1", n)
	}
	k.SetManifestErrors(nil)
	if _, ok := gather(t, reg)["minikubelet_manifest_errors"]; ok {
		t.Error("with no bad manifests, minikubelet_manifest_errors is still exported")
	}
}

type podCounterFunc func() (int, map[string]int)

func (f podCounterFunc) CountPods() (int, map[string]int) { return f() }

func TestRunningPodsAreReadAtScrapeTime(t *testing.T) {
	k, reg := newTestKubelet(t)
	if _, ok := gather(t, reg)["kubelet_running_pods"]; ok {
		t.Fatal("kubelet_running_pods exported before a PodCounter was set")
	}
	running := 2
	k.SetPodCounter(podCounterFunc(func() (int, map[string]int) {
		return running, map[string]int{ContainerStateRunning: running * 2, ContainerStateExited: 1}
	}))
	running = 5

	f := gather(t, reg)
	if got := value(findMetric(t, f, "kubelet_running_pods", nil)); got != 5 {
		t.Errorf("running pods = %v, want 5 (the value at scrape time)", got)
	}
	for state, want := range map[string]float64{"running": 10, "exited": 1, "created": 0, "unknown": 0} {
		if got := value(findMetric(t, f, "kubelet_running_containers", map[string]string{"container_state": state})); got != want {
			t.Errorf("containers %s = %v, want %v", state, got, want)
		}
	}
}

func TestMinikubeletCounters(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.ReleasedLeakedAddresses(3)
	k.ReleasedLeakedAddresses(0)
	k.RepairedCNIConfig()
	k.RotatedContainerLog()
	k.RotatedContainerLog()
	k.SetDiskFull("pod-log-dir", true)
	k.SetDiskFull("root-dir", true)
	k.SetDiskFull("root-dir", false)
	k.ObserveEventStreamConnect(nil)
	k.ObserveEventStreamConnect(errors.New("stream closed"))
	k.ObserveEventStreamConnect(errors.New("stream closed"))

	f := gather(t, reg)
	for name, want := range map[string]float64{
		"minikubelet_cni_leaked_addresses_released_total": 3,
		"minikubelet_cni_config_repairs_total":            1,
		"minikubelet_container_log_rotations_total":       2,
		"kubelet_evented_pleg_connection_success_count":   1,
		"kubelet_evented_pleg_connection_error_count":     2,
	} {
		if got := value(findMetric(t, f, name, nil)); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for flag, want := range map[string]float64{"pod-log-dir": 1, "root-dir": 0} {
		if got := value(findMetric(t, f, "minikubelet_disk_full", map[string]string{"flag": flag})); got != want {
			t.Errorf("minikubelet_disk_full{flag=%q} = %v, want %v", flag, got, want)
		}
	}
}

// TestKubeletCompatibleShapes guards what dashboards built for the kubelet
// depend on: metric types and histogram buckets, copied from the kubelet's
// pkg/kubelet/metrics.
func TestKubeletCompatibleShapes(t *testing.T) {
	k, reg := newTestKubelet(t)
	k.ObservePodStart(time.Second)
	k.ObservePodStartSLI(time.Second)
	k.ObservePodWorker(PodWorkerSync, time.Second)
	k.ObserveOperation("version", time.Millisecond, nil)
	k.ObserveImagePull(time.Second)
	k.ObserveEventLatency(time.Millisecond)

	podStart := "0.5 1 2 3 4 5 6 8 10 20 30 45 60 120 180 240 300 360 480 600 900 1200 1800 2700 3600"
	def := "0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10"
	f := gather(t, reg)
	for name, want := range map[string]string{
		"kubelet_pod_start_duration_seconds":              podStart,
		"kubelet_pod_start_sli_duration_seconds":          podStart,
		"kubelet_pod_worker_duration_seconds":             def,
		"kubelet_evented_pleg_connection_latency_seconds": def,
		"kubelet_image_pull_duration_seconds":             "1 5 10 20 30 60 120 180 240 300 360 480 600 900 1200 1800 2700 3600",
		"kubelet_runtime_operations_duration_seconds":     "0.005 0.0125 0.03125 0.078125 0.1953125 0.48828125 1.220703125 3.0517578125 7.62939453125 19.073486328125 47.6837158203125 119.20928955078125 298.0232238769531 745.0580596923828",
	} {
		fam := f[name]
		if fam.GetType() != dto.MetricType_HISTOGRAM {
			t.Errorf("%s is %v, want a histogram", name, fam.GetType())
			continue
		}
		var bounds []string
		for _, b := range fam.GetMetric()[0].GetHistogram().GetBucket() {
			bounds = append(bounds, fmt.Sprint(b.GetUpperBound()))
		}
		if got := strings.Join(bounds, " "); got != want {
			t.Errorf("%s buckets\n got %s\nwant %s", name, got, want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if _, ok := f[name]; !ok {
			t.Errorf("%s missing: the Go and process collectors are not registered", name)
		}
	}
}

func TestNewReportsTheMetricItCouldNotRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(reg); err != nil {
		t.Fatalf("first New: %v", err)
	}
	_, err := New(reg)
	if err == nil || !strings.Contains(err.Error(), "kubelet_pod_start_duration_seconds") {
		t.Fatalf("second New on one registry: err = %v, want one naming the duplicate metric", err)
	}
}

func TestNewWithoutRegistryStillRecords(t *testing.T) {
	k, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	k.ObserveOperation("version", time.Millisecond, nil) // must not panic
}
