package apiserver

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/minikubelet/minikubelet/metrics"
)

// fixedUsage is a UsageSource with set figures.
type fixedUsage struct {
	usage metrics.Usage
	err   error
}

func (f *fixedUsage) Usage(context.Context) (metrics.Usage, error) { return f.usage, f.err }

var usageAt = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func figures(cpuNanos, memBytes uint64) metrics.ResourceUsage {
	return metrics.ResourceUsage{CPUNanoCores: cpuNanos, MemoryBytes: memBytes, Timestamp: usageAt, Window: 2 * time.Second, OK: true}
}

func newMetricsServer(t *testing.T, usage *fixedUsage) (*dirSource, *httptest.Server) {
	t.Helper()
	src := newDirSource(t)
	s, err := New(Config{
		Pods: src, ManifestDir: src.dir, NodeName: testNode, Usage: usage,
		Node: NodeInfo{CPUs: 2, MemoryBytes: 4 << 30, MaxPods: 110, KernelVersion: "6.1.0", OSImage: "Debian GNU/Linux 12", ContainerRuntimeVersion: "containerd://1.6.20"},
		Now:  func() time.Time { return usageAt },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return src, srv
}

func TestMetricsAPIServesPodMetricsOfServedPods(t *testing.T) {
	usage := &fixedUsage{usage: metrics.Usage{
		Node: figures(1_500_000_000, 3<<30),
		Containers: []metrics.ContainerUsage{
			{Namespace: "default", Pod: "web", Container: "app", ResourceUsage: figures(250_000_000, 64<<20)},
			{Namespace: "default", Pod: "db", Container: "app", ResourceUsage: figures(1_000_000, 32<<20)},
			{Namespace: "default", Pod: "stray", Container: "app", ResourceUsage: figures(1, 1)}, // no such pod served
		},
	}}
	src, srv := newMetricsServer(t, usage)
	src.write(t, "web.yaml", podYAML("web"))
	src.write(t, "db.yaml", podYAML("db"))
	src.write(t, "idle.yaml", podYAML("idle")) // no figures yet

	_, body := do(t, "GET", srv.URL+"/apis", "", "")
	if groups := decode[metav1.APIGroupList](t, body); len(groups.Groups) != 1 || groups.Groups[0].PreferredVersion.GroupVersion != "metrics.k8s.io/v1beta1" {
		t.Errorf("/apis = %s", body)
	}
	_, body = do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1", "", "")
	if !strings.Contains(body, `"kind":"PodMetrics"`) || !strings.Contains(body, `"kind":"NodeMetrics"`) {
		t.Errorf("metrics resources = %s", body)
	}

	_, body = do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "", "")
	list := decode[metricsv1beta1.PodMetricsList](t, body)
	if len(list.Items) != 2 || list.Items[0].Name != "db" || list.Items[1].Name != "web" {
		t.Fatalf("pod metrics = %s, want db and web only", body)
	}
	web := list.Items[1]
	if cpu, mem := web.Containers[0].Usage.Cpu(), web.Containers[0].Usage.Memory(); cpu.MilliValue() != 250 || mem.Value() != 64<<20 ||
		web.Window.Duration != 2*time.Second || !web.Timestamp.Equal(&metav1.Time{Time: usageAt}) {
		t.Errorf("web's metrics = %+v", web)
	}
	_, body = do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Dweb", "", "")
	if list := decode[metricsv1beta1.PodMetricsList](t, body); len(list.Items) != 1 || list.Items[0].Name != "web" {
		t.Errorf("pod metrics by label = %s", body)
	}
	code, body := do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web", "", "")
	if m := decode[metricsv1beta1.PodMetrics](t, body); code != 200 || m.Name != "web" || m.Kind != "PodMetrics" {
		t.Errorf("get web's metrics = %d %s", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/idle", "", "")
	if code != 404 || !strings.Contains(body, `pods.metrics.k8s.io \"idle\" not found`) {
		t.Errorf("metrics of a pod without figures = %d %s", code, body)
	}
}

func TestMetricsAPIServesTheNodesMetricsAndTheNode(t *testing.T) {
	_, srv := newMetricsServer(t, &fixedUsage{usage: metrics.Usage{Node: figures(1_500_000_000, 3<<30)}})
	_, body := do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/nodes", "", "")
	list := decode[metricsv1beta1.NodeMetricsList](t, body)
	if len(list.Items) != 1 || list.Items[0].Name != testNode || list.Items[0].Usage.Cpu().MilliValue() != 1500 {
		t.Errorf("node metrics = %s", body)
	}
	code, _ := do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/nodes/other", "", "")
	if code != 404 {
		t.Errorf("metrics of another node = %d", code)
	}
	_, body = do(t, "GET", srv.URL+"/api/v1/nodes", "", "")
	nodes := decode[v1.NodeList](t, body)
	if len(nodes.Items) != 1 || nodes.Items[0].Status.Allocatable.Cpu().Value() != 2 || nodes.Items[0].Status.Allocatable.Memory().Value() != 4<<30 ||
		nodes.Items[0].Status.Capacity.Pods().Value() != 110 {
		t.Errorf("nodes = %s", body)
	}
	_, body = do(t, "GET", srv.URL+"/api/v1/nodes/"+testNode, "", "", "Accept", tableAccept)
	table := decode[metav1.Table](t, body)
	if len(table.Rows) != 1 || table.Rows[0].Cells[0] != testNode || table.Rows[0].Cells[1] != "Ready" || table.Rows[0].Cells[9] != "containerd://1.6.20" {
		t.Errorf("node table = %s", body)
	}
}

func TestMetricsAPISaysWhyUsageIsMissing(t *testing.T) {
	_, srv := newMetricsServer(t, &fixedUsage{err: errors.New("listing container stats: runtime down")})
	code, body := do(t, "GET", srv.URL+"/apis/metrics.k8s.io/v1beta1/pods", "", "")
	if code != 503 || !strings.Contains(body, "runtime down") {
		t.Errorf("pod metrics without usage = %d %s", code, body)
	}
}
