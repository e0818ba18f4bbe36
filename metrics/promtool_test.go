package metrics

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// kubeletNamesPromtoolFlags are names promtool's linter objects to (no
// _total on a counter) that the kubelet exports as they are; renaming them
// would break the dashboards this package exists to serve.
var kubeletNamesPromtoolFlags = map[string]bool{
	"kubelet_evented_pleg_connection_error_count":   true,
	"kubelet_evented_pleg_connection_success_count": true,
}

// promtool exit codes: 0 clean, 3 lint problems only; anything else (1)
// means the exposition did not parse.
const promtoolLintProblems = 3

// TestPromtoolAcceptsAllEndpoints feeds every endpoint's output, over
// fakes with every kind of metric present, to Prometheus's own checker.
func TestPromtoolAcceptsAllEndpoints(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	reg := prometheus.NewRegistry()
	k, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	exerciseAllMetrics(k)
	h := newTestHandlers(t, twoPodRuntime(), reg)

	for _, ep := range []struct {
		path string
		text string
	}{
		{"/metrics", scrapeText(t, h.Metrics)},
		{"/metrics/resource", scrapeText(t, h.Resource)},
		{"/metrics/cadvisor", scrapeText(t, h.Cadvisor)},
	} {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(ep.text)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == promtoolLintProblems) {
			t.Errorf("promtool rejected %s: %v\n%s", ep.path, err, out.String())
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			name, _, _ := strings.Cut(line, " ")
			if line != "" && !kubeletNamesPromtoolFlags[name] {
				t.Errorf("promtool on %s: %s", ep.path, line)
			}
		}
	}
}

// exerciseAllMetrics makes every vector metric export at least one series.
func exerciseAllMetrics(k *Kubelet) {
	k.ObservePodStart(time.Second)
	k.ObservePodStartSLI(time.Second)
	k.ObservePodWorker(PodWorkerCreate, time.Second)
	k.ObserveOperation("run_podsandbox", time.Second, status.Error(codes.Internal, "x"))
	k.ObserveRunPodSandbox("", time.Second)
	k.RunPodSandboxFailed("")
	k.StartedPod()
	k.StartedContainer(ContainerTypeContainer, status.Error(codes.Internal, "x"))
	k.RestartedPod()
	k.SetDesiredPods(1)
	k.ObserveImagePullOfSize(time.Second, 1)
	k.ObservePLEGRelist(time.Millisecond, time.Second)
	k.ObserveEventStreamConnect(nil)
	k.ObserveEventStreamConnect(errors.New("x"))
	k.ObserveEventLatency(time.Millisecond)
	k.ReleasedLeakedAddresses(1)
	k.RepairedCNIConfig()
	k.RotatedContainerLog()
	k.SetManifestErrors([]string{"/etc/kubernetes/manifests/bad.yaml"})
	k.SetPodCounter(podCounterFunc(func() (int, map[string]int) {
		return 1, map[string]int{ContainerStateRunning: 1}
	}))
}
