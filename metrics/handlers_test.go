package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// newTestHandlers builds the endpoints over f and a fake host tree.
func newTestHandlers(t testing.TB, f *fakeRuntime, reg *prometheus.Registry) *Handlers {
	t.Helper()
	root := writeTree(t, map[string]string{
		"sys/fs/cgroup/cpuacct/cpuacct.usage":        "2500000000\n",
		"sys/fs/cgroup/memory/memory.usage_in_bytes": "1000000\n",
		"sys/fs/cgroup/memory/memory.stat":           "total_inactive_file 300000\n",
	})
	h, err := NewHandlers(HandlerConfig{Gatherer: reg, Runtime: f, Images: f, HostRoot: root})
	if err != nil {
		t.Fatalf("NewHandlers: %v", err)
	}
	return h
}

func twoPodRuntime() *fakeRuntime {
	f := &fakeRuntime{images: []*runtimeapi.Image{
		{Id: "sha256:img-app", RepoTags: []string{"localhost:5000/kubia:v1"}},
	}}
	f.addPod("default", "web", "app", "sidecar")
	f.addPod("prod", "db", "app")
	return f
}

func TestResourceEndpointValues(t *testing.T) {
	h := newTestHandlers(t, twoPodRuntime(), prometheus.NewRegistry())
	f := scrape(t, h.Resource)

	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"container_cpu_usage_seconds_total", map[string]string{"container": "sidecar", "pod": "web", "namespace": "default"}, 2},
		{"container_memory_working_set_bytes", map[string]string{"container": "app", "pod": "db", "namespace": "prod"}, 1 << 20},
		{"container_start_time_seconds", map[string]string{"container": "app", "pod": "web"}, float64(statsAt.Unix() - 30)},
		{"pod_cpu_usage_seconds_total", map[string]string{"pod": "web", "namespace": "default"}, 3},
		{"pod_memory_working_set_bytes", map[string]string{"pod": "web", "namespace": "default"}, 3 << 20},
		{"node_cpu_usage_seconds_total", nil, 2.5},
		{"node_memory_working_set_bytes", nil, 700000},
		{"scrape_error", nil, 0},
		{"resource_scrape_error", nil, 0},
	} {
		if got := value(findMetric(t, f, tc.name, tc.labels)); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if n := len(f["container_cpu_usage_seconds_total"].GetMetric()); n != 3 {
		t.Errorf("%d container CPU series, want 3", n)
	}
	if f["node_cpu_usage_seconds_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("node_cpu_usage_seconds_total is not a counter")
	}
	ws := findMetric(t, f, "container_memory_working_set_bytes", map[string]string{"pod": "db"})
	if ws.GetTimestampMs() != statsAt.UnixMilli() {
		t.Errorf("container memory stamped %d ms, want the runtime's %d", ws.GetTimestampMs(), statsAt.UnixMilli())
	}
}

func TestCadvisorEndpointLabels(t *testing.T) {
	f := twoPodRuntime()
	f.podStats = []*runtimeapi.PodSandboxStats{{
		Attributes: &runtimeapi.PodSandboxAttributes{Id: "sb-prod-db"},
		Linux: &runtimeapi.LinuxPodSandboxStats{Network: &runtimeapi.NetworkUsage{
			Timestamp:        statsAt.UnixNano(),
			DefaultInterface: &runtimeapi.NetworkInterfaceUsage{Name: "eth0", RxBytes: &runtimeapi.UInt64Value{Value: 1234}, TxBytes: &runtimeapi.UInt64Value{Value: 99}},
		}},
	}}
	h := newTestHandlers(t, f, prometheus.NewRegistry())
	fams := scrape(t, h.Cadvisor)

	app := map[string]string{"container": "app", "pod": "db", "namespace": "prod",
		"image": "localhost:5000/kubia:v1", "name": "c-prod-db-app"}
	for name, want := range map[string]float64{
		"container_cpu_usage_seconds_total":  1,
		"container_memory_working_set_bytes": 1 << 20,
		"container_memory_usage_bytes":       2 << 20,
		"container_memory_rss":               1 << 19,
		"container_fs_usage_bytes":           4096,
	} {
		if got := value(findMetric(t, fams, name, app)); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if cpu := findMetric(t, fams, "container_cpu_usage_seconds_total", app); !labelsMatch(cpu, map[string]string{"cpu": "total"}) {
		t.Errorf("cAdvisor CPU series lacks cpu=\"total\": %v", cpu.GetLabel())
	}
	sidecar := findMetric(t, fams, "container_memory_rss", map[string]string{"container": "sidecar"})
	if !labelsMatch(sidecar, map[string]string{"image": "sha256:img-sidecar"}) {
		t.Errorf("untagged image label = %v, want the runtime's image ID", sidecar.GetLabel())
	}
	rx := findMetric(t, fams, "container_network_receive_bytes_total", map[string]string{"pod": "db", "interface": "eth0", "container": ""})
	if value(rx) != 1234 {
		t.Errorf("db received %v bytes, want 1234", value(rx))
	}
	if n := len(fams["container_network_transmit_bytes_total"].GetMetric()); n != 1 {
		t.Errorf("%d transmit series, want 1: web has no network stats", n)
	}
}

func TestRuntimeFailureSetsScrapeError(t *testing.T) {
	f := &fakeRuntime{listErr: status.Error(codes.Unavailable, "runtime down")}
	h := newTestHandlers(t, f, prometheus.NewRegistry())
	fams := scrape(t, h.Resource)
	if got := value(findMetric(t, fams, "scrape_error", nil)); got != 1 {
		t.Errorf("scrape_error = %v with the runtime down, want 1", got)
	}
	if _, ok := fams["container_cpu_usage_seconds_total"]; ok {
		t.Error("container series exported although the runtime could not be read")
	}
	if got := value(findMetric(t, fams, "node_cpu_usage_seconds_total", nil)); got != 2.5 {
		t.Errorf("node CPU = %v with the runtime down, want 2.5: the node is still readable", got)
	}
}

func TestBothStatsEndpointsShareOneFetch(t *testing.T) {
	f := twoPodRuntime()
	h := newTestHandlers(t, f, prometheus.NewRegistry())
	scrape(t, h.Resource)
	scrape(t, h.Cadvisor)
	scrape(t, h.Resource)
	if n := f.listCalls.Load(); n != 1 {
		t.Errorf("three scrapes within the TTL made %d runtime fetches, want 1", n)
	}
}

func TestMetricsEndpointServesTheRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	k, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	k.ObserveOperation("pull_image", time.Second, status.Error(codes.NotFound, "no such image"))
	h := newTestHandlers(t, twoPodRuntime(), reg)

	mux := http.NewServeMux()
	h.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for path, want := range map[string]string{
		"/metrics":          `kubelet_runtime_operations_errors_total{operation_type="pull_image"} 1`,
		"/metrics/resource": `pod_cpu_usage_seconds_total{namespace="prod",pod="db"} 1`,
		"/metrics/cadvisor": `container_memory_rss{container="app"`,
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), want) {
			t.Errorf("GET %s lacks %q:\n%s", path, want, body)
		}
	}
}

func TestHandlerConfigErrorsSayWhatToPass(t *testing.T) {
	_, err := NewHandlers(HandlerConfig{StatsCacheTTL: -time.Second})
	if err == nil {
		t.Fatal("empty config accepted")
	}
	for _, want := range []string{"Gatherer is nil", "Runtime is nil", "StatsCacheTTL (-1s)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
