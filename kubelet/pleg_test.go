package kubelet

import (
	"context"
	"log/slog"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// listCounter counts the relist's sandbox lists.
type listCounter struct {
	*fakeRuntime
	lists atomic.Int32
}

func (c *listCounter) ListPodSandbox(ctx context.Context, f *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	c.lists.Add(1)
	return c.fakeRuntime.ListPodSandbox(ctx, f)
}

// TestRelistIsRareWhileEventsFlowAndPromptWhenTheyStop: with the runtime's
// events flowing the relist waits its long period, an event brings one
// relist (one for a burst), and a broken stream restores the short period.
func TestRelistIsRareWhileEventsFlowAndPromptWhenTheyStop(t *testing.T) {
	rt := &listCounter{fakeRuntime: newFakeRuntime()}
	r := newRelister(rt, "n1", 20*time.Millisecond, noMetrics{}, slog.New(slog.DiscardHandler))
	r.eventedPeriod = time.Hour
	r.setEvented(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.run(ctx, func(changed, present []types.UID, listed map[types.UID]podObjects) {}) }()
	defer func() { cancel(); <-done }()

	eventually(t, "the first relist", func() bool { return rt.lists.Load() == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := rt.lists.Load(); n != 1 {
		t.Fatalf("%d relists in 300 ms while events flow; want only the first (period 20 ms, evented 1 h)", n)
	}

	for range 5 {
		r.relistSoon()
	}
	eventually(t, "a relist after events", func() bool { return rt.lists.Load() == 2 })
	time.Sleep(200 * time.Millisecond)
	if n := rt.lists.Load(); n != 2 {
		t.Fatalf("a burst of 5 events cost %d relists; want 1", n-1)
	}

	r.setEvented(false)
	eventually(t, "relisting every 20 ms again once the stream broke", func() bool { return rt.lists.Load() >= 6 })
}

// TestRelistShowingWhatThePodsWorkerSawWakesNoSync: after acting, a worker
// observes its pod; a relist that lists the same sandbox and container
// states has nothing new and costs no sync, one that differs does.
func TestRelistShowingWhatThePodsWorkerSawWakesNoSync(t *testing.T) {
	rt := &statusCounter{eventedRuntime: &eventedRuntime{fakeRuntime: newFakeRuntime()}}
	k, pod := runOnePod(t, rt, nil)
	eventually(t, "observed running", func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		return len(k.pods[pod.UID].observedObjects) == 2
	})
	time.Sleep(2 * resyncAfterAction)

	k.mu.Lock()
	seen := maps.Clone(k.pods[pod.UID].observedObjects)
	k.mu.Unlock()
	before := rt.statuses.Load()
	k.handleRelist([]types.UID{pod.UID}, nil, map[types.UID]podObjects{pod.UID: seen})
	time.Sleep(300 * time.Millisecond)
	if n := rt.statuses.Load() - before; n != 0 {
		t.Fatalf("a relist listing what the worker saw cost %d container status reads; want none", n)
	}

	changed := maps.Clone(seen)
	for id, state := range changed {
		if state == runtimeapi.ContainerState_CONTAINER_RUNNING.String() {
			changed[id] = runtimeapi.ContainerState_CONTAINER_EXITED.String()
		}
	}
	k.handleRelist([]types.UID{pod.UID}, nil, map[types.UID]podObjects{pod.UID: changed})
	eventually(t, "a sync on a relist that differs", func() bool { return rt.statuses.Load() > before })
}
