package kubelet

import (
	"context"
	"log/slog"
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
	go func() { done <- r.run(ctx, func(changed, present []types.UID, listed time.Time) {}) }()
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
