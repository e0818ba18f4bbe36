package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeRuntime is a StatsSource and ImageLister over fixed lists. gate, if
// set, blocks every ListContainers call until it is closed, to hold a fetch
// open while other scrapes arrive.
type fakeRuntime struct {
	containers     []*runtimeapi.Container
	sandboxes      []*runtimeapi.PodSandbox
	containerStats []*runtimeapi.ContainerStats
	podStats       []*runtimeapi.PodSandboxStats
	images         []*runtimeapi.Image
	listErr        error
	podStatsErr    error
	gate           chan struct{}

	listCalls atomic.Int64
	mu        sync.Mutex
	selectors []map[string]string
}

func (f *fakeRuntime) ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	f.listCalls.Add(1)
	f.mu.Lock()
	f.selectors = append(f.selectors, filter.GetLabelSelector())
	f.mu.Unlock()
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.listErr != nil {
		return nil, f.listErr
	}
	// A real runtime applies the state filter; so does the fake, so that
	// the code's own filtering is tested separately in buildSamples tests.
	var out []*runtimeapi.Container
	for _, c := range f.containers {
		if filter.GetState() == nil || filter.GetState().GetState() == c.GetState() {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeRuntime) ListPodSandbox(_ context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	var out []*runtimeapi.PodSandbox
	for _, s := range f.sandboxes {
		if filter.GetState() == nil || filter.GetState().GetState() == s.GetState() {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeRuntime) ListContainerStats(context.Context, *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	return f.containerStats, nil
}

func (f *fakeRuntime) ListPodSandboxStats(context.Context, *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error) {
	return f.podStats, f.podStatsErr
}

func (f *fakeRuntime) ListImages(context.Context, *runtimeapi.ImageFilter) ([]*runtimeapi.Image, error) {
	return f.images, nil
}

// statsAt is the fake runtime's measurement time for every figure.
var statsAt = time.Unix(1700000000, 0)

// addPod adds a ready sandbox with the given running containers to f.
// Container i uses (i+1) CPU seconds and (i+1) MiB of working set.
func (f *fakeRuntime) addPod(namespace, name string, containerNames ...string) {
	sandboxID := "sb-" + namespace + "-" + name
	f.sandboxes = append(f.sandboxes, &runtimeapi.PodSandbox{
		Id:        sandboxID,
		Metadata:  &runtimeapi.PodSandboxMetadata{Name: name, Namespace: namespace, Uid: "uid-" + name},
		State:     runtimeapi.PodSandboxState_SANDBOX_READY,
		CreatedAt: statsAt.Add(-time.Minute).UnixNano(),
		Labels:    map[string]string{labelPodName: name, labelPodNamespace: namespace},
	})
	for i, cname := range containerNames {
		id := fmt.Sprintf("c-%s-%s-%s", namespace, name, cname)
		f.containers = append(f.containers, &runtimeapi.Container{
			Id:           id,
			PodSandboxId: sandboxID,
			Metadata:     &runtimeapi.ContainerMetadata{Name: cname},
			Image:        &runtimeapi.ImageSpec{Image: "sha256:img-" + cname},
			ImageRef:     "sha256:img-" + cname,
			State:        runtimeapi.ContainerState_CONTAINER_RUNNING,
			CreatedAt:    statsAt.Add(-30 * time.Second).UnixNano(),
			Labels: map[string]string{
				labelPodName: name, labelPodNamespace: namespace, labelContainerName: cname,
			},
		})
		f.containerStats = append(f.containerStats, containerStats(id, uint64(i+1)))
	}
}

func containerStats(id string, n uint64) *runtimeapi.ContainerStats {
	ts := statsAt.UnixNano()
	return &runtimeapi.ContainerStats{
		Attributes: &runtimeapi.ContainerAttributes{Id: id},
		Cpu:        &runtimeapi.CpuUsage{Timestamp: ts, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: n * uint64(time.Second)}},
		Memory: &runtimeapi.MemoryUsage{Timestamp: ts,
			WorkingSetBytes: &runtimeapi.UInt64Value{Value: n << 20},
			UsageBytes:      &runtimeapi.UInt64Value{Value: 2 * n << 20},
			RssBytes:        &runtimeapi.UInt64Value{Value: n << 19},
		},
		WritableLayer: &runtimeapi.FilesystemUsage{Timestamp: ts,
			FsId:      &runtimeapi.FilesystemIdentifier{Mountpoint: "/var/lib/containerd/overlay"},
			UsedBytes: &runtimeapi.UInt64Value{Value: n * 4096},
		},
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// scrape GETs h and parses the exposition text it returns.
func scrape(t testing.TB, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	body := scrapeText(t, h)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing scrape output: %v\n%s", err, body)
	}
	return families
}

func scrapeText(t testing.TB, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape returned HTTP %d: %s", rec.Code, rec.Body.String())
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

// findMetric returns the series of family name whose labels include all
// of want, failing the test if there is not exactly one.
func findMetric(t testing.TB, families map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	var found []*dto.Metric
	for _, m := range families[name].GetMetric() {
		if labelsMatch(m, want) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s%v, found %d among %v", name, want, len(found), families[name].GetMetric())
	}
	return found[0]
}

func labelsMatch(m *dto.Metric, want map[string]string) bool {
	have := map[string]string{}
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// value returns a counter, gauge or untyped series' value.
func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}
