package metrics

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func at(seconds float64) time.Time {
	return statsAt.Add(time.Duration(seconds * float64(time.Second)))
}

func cpuAt(coreSeconds, when float64) sample {
	return sample{value: coreSeconds, at: at(when), ok: true}
}

func TestUsageBetweenIsEachContainersRateOverTheWindow(t *testing.T) {
	mem := sample{value: 64 << 20, at: at(10), ok: true}
	base := &snapshot{fetchedAt: at(0), node: nodeSample{cpu: cpuAt(100, 0), workingSet: mem}, containers: []containerSample{
		{id: "busy", name: "app", pod: "web", namespace: "default", cpu: cpuAt(5, 0)},
		{id: "idle", name: "side", pod: "web", namespace: "default", cpu: cpuAt(1, 0)},
		{id: "gone", name: "old", pod: "web", namespace: "default", cpu: cpuAt(1, 0)},
		{id: "untimed", name: "app", pod: "db", namespace: "prod", cpu: sample{value: 2, ok: true}},
	}}
	latest := &snapshot{fetchedAt: at(10), node: nodeSample{cpu: cpuAt(115, 10), workingSet: mem}, containers: []containerSample{
		{id: "busy", name: "app", pod: "web", namespace: "default", cpu: cpuAt(10, 10), workingSet: mem},
		{id: "idle", name: "side", pod: "web", namespace: "default", cpu: cpuAt(1, 10), workingSet: mem},
		{id: "new", name: "fresh", pod: "web", namespace: "default", cpu: cpuAt(3, 10), workingSet: mem},
		{id: "untimed", name: "app", pod: "db", namespace: "prod", cpu: sample{value: 4, ok: true}, workingSet: mem},
	}}
	got := usageBetween(base, latest)
	if got.Node.CPUNanoCores != 1_500_000_000 || got.Node.MemoryBytes != 64<<20 || got.Node.Window != 10*time.Second {
		t.Errorf("node usage = %+v, want 1.5 cores over 10s", got.Node)
	}
	want := map[string]uint64{"default/web/app": 500_000_000, "default/web/side": 0, "prod/db/app": 200_000_000}
	if len(got.Containers) != len(want) {
		t.Fatalf("containers = %+v, want %d (a container without an earlier sample has no rate)", got.Containers, len(want))
	}
	for _, c := range got.Containers {
		key := c.Namespace + "/" + c.Pod + "/" + c.Container
		if nanos, ok := want[key]; !ok || c.CPUNanoCores != nanos || c.MemoryBytes != 64<<20 || !c.OK {
			t.Errorf("%s = %+v, want %d nanocores", key, c.ResourceUsage, nanos)
		}
	}
}

func TestResourceUsageWithoutARateIsNotOK(t *testing.T) {
	mem := sample{value: 1, ok: true}
	for name, u := range map[string]ResourceUsage{
		"counter went back":   resourceUsage(cpuAt(5, 0), cpuAt(4, 1), mem, at(0), at(1)),
		"same instant":        resourceUsage(cpuAt(5, 1), cpuAt(6, 1), mem, at(0), at(1)),
		"no memory":           resourceUsage(cpuAt(5, 0), cpuAt(6, 1), sample{}, at(0), at(1)),
		"no earlier CPU time": resourceUsage(sample{}, cpuAt(6, 1), mem, at(0), at(1)),
	} {
		if u.OK {
			t.Errorf("%s: usage %+v is OK", name, u)
		}
	}
}

func TestHistoryPairsTheOldestSnapshotWithinTheWindow(t *testing.T) {
	var h history
	for _, s := range []float64{0, 0.5, 3, 14, 20, 20.4} {
		h.remember(&snapshot{fetchedAt: at(s)})
	}
	h.remember(&snapshot{fetchedAt: at(21), err: context.Canceled}) // failed fetches are not kept
	latest := h.snapshots[len(h.snapshots)-1]
	if base := h.baseline(latest); base == nil || !base.fetchedAt.Equal(at(14)) {
		t.Errorf("baseline for %v = %v, want the snapshot of 14s: 0 and 3 are past the 15s window, 20 is under 1s", latest.fetchedAt, base)
	}
	if first := h.snapshots[0].fetchedAt; first.Before(at(5.4)) {
		t.Errorf("kept a snapshot of %v, older than the window", first)
	}
	for i := 0; i < 3*maxKeptSnapshots; i++ {
		h.remember(&snapshot{fetchedAt: at(21 + float64(i)*0.01)})
	}
	if len(h.snapshots) > maxKeptSnapshots {
		t.Errorf("kept %d snapshots, want at most %d", len(h.snapshots), maxKeptSnapshots)
	}
}

// busyRuntime reports a container using half a core, measured now.
type busyRuntime struct {
	*fakeRuntime
	mu    sync.Mutex
	start time.Time
}

func (b *busyRuntime) ListContainerStats(context.Context, *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	out := make([]*runtimeapi.ContainerStats, 0, len(b.containers))
	for _, c := range b.containers {
		s := containerStats(c.GetId(), 1)
		s.Cpu.Timestamp = now.UnixNano()
		s.Cpu.UsageCoreNanoSeconds.Value = uint64(now.Sub(b.start) / 2)
		out = append(out, s)
	}
	return out, nil
}

func TestUsageTakesASecondSampleWhenItHasNone(t *testing.T) {
	f := twoPodRuntime()
	busy := &busyRuntime{fakeRuntime: f, start: time.Now().Add(-time.Hour)}
	h, err := NewHandlers(HandlerConfig{Gatherer: prometheus.NewRegistry(), Runtime: busy, HostRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	usage, err := h.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < minUsageWindow || took > 5*time.Second {
		t.Errorf("the first Usage took %s, want about %s", took, minUsageWindow)
	}
	if len(usage.Containers) != 3 {
		t.Fatalf("usage of %d containers, want 3: %+v", len(usage.Containers), usage.Containers)
	}
	for _, c := range usage.Containers {
		// The window runs between the runtime's own stamps, each taken a
		// little before the agent's fetch ends, so it may fall short of
		// the agent's wait by the difference of two fetch times.
		if c.CPUNanoCores < 450_000_000 || c.CPUNanoCores > 550_000_000 || c.Window < minUsageWindow*9/10 {
			t.Errorf("%s/%s uses %d nanocores over %s, want half a core", c.Pod, c.Container, c.CPUNanoCores, c.Window)
		}
	}
	began = time.Now()
	if _, err := h.Usage(context.Background()); err != nil || time.Since(began) > 500*time.Millisecond {
		t.Errorf("a second Usage took %s (%v), want no wait: it pairs with the kept snapshot", time.Since(began), err)
	}
}
