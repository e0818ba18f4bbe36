package metrics

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func newTestCache(t *testing.T, f *fakeRuntime, clock *fakeClock, ttl time.Duration) *statsCache {
	t.Helper()
	root := writeTree(t, map[string]string{"proc/stat": procStat, "proc/meminfo": "MemTotal: 100 kB\nMemFree: 40 kB\n"})
	return &statsCache{
		runtime: f, images: f,
		node: nodeReader{root: root, now: clock.now},
		ttl:  ttl, timeout: time.Second,
		log: slog.New(slog.DiscardHandler),
		now: clock.now,
	}
}

func TestCacheFetchesOncePerTTL(t *testing.T) {
	f := &fakeRuntime{}
	f.addPod("default", "web", "app")
	clock := &fakeClock{t: statsAt}
	c := newTestCache(t, f, clock, time.Second)
	ctx := context.Background()

	first := c.get(ctx)
	clock.advance(999 * time.Millisecond)
	if again := c.get(ctx); again != first {
		t.Error("a get within the TTL fetched a new snapshot")
	}
	if n := c.fetches.Load(); n != 1 {
		t.Fatalf("fetches within the TTL = %d, want 1", n)
	}
	clock.advance(time.Millisecond)
	if c.get(ctx) == first {
		t.Error("a get after the TTL reused the old snapshot")
	}
	if n := f.listCalls.Load(); n != 2 {
		t.Errorf("runtime ListContainers calls = %d, want 2", n)
	}
}

func TestConcurrentGetsShareOneFetch(t *testing.T) {
	f := &fakeRuntime{gate: make(chan struct{})}
	f.addPod("default", "web", "app")
	c := newTestCache(t, f, &fakeClock{t: statsAt}, time.Second)

	const scrapers = 8
	results := make(chan *snapshot, scrapers)
	var wg sync.WaitGroup
	for range scrapers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- c.get(context.Background())
		}()
	}
	// Wait until the one fetch is inside the runtime call, then release it.
	for f.listCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the other scrapers pile up
	close(f.gate)
	wg.Wait()
	close(results)

	var first *snapshot
	for s := range results {
		if first == nil {
			first = s
		}
		if s != first || s.err != nil {
			t.Errorf("scrapers got different or failed snapshots: %p (%v) vs %p", s, s.err, first)
		}
	}
	if n := f.listCalls.Load(); n != 1 {
		t.Errorf("%d concurrent scrapes made %d runtime fetches, want 1", scrapers, n)
	}
}

func TestFailedFetchIsCachedAndReported(t *testing.T) {
	f := &fakeRuntime{listErr: status.Error(codes.Unavailable, "connection refused")}
	clock := &fakeClock{t: statsAt}
	c := newTestCache(t, f, clock, time.Second)

	s := c.get(context.Background())
	if s.err == nil || !errors.Is(s.err, f.listErr) {
		t.Fatalf("snapshot error = %v, want the runtime's error wrapped", s.err)
	}
	if !s.node.cpu.ok {
		t.Error("node figures dropped because the runtime failed")
	}
	c.get(context.Background())
	if n := f.listCalls.Load(); n != 1 {
		t.Errorf("a broken runtime was asked %d times within one TTL, want 1", n)
	}
}

func TestCallerGivesUpButFetchCompletesForOthers(t *testing.T) {
	f := &fakeRuntime{gate: make(chan struct{})}
	f.addPod("default", "web", "app")
	c := newTestCache(t, f, &fakeClock{t: statsAt}, time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *snapshot)
	go func() { done <- c.get(ctx) }()
	for f.listCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if s := <-done; !errors.Is(s.err, context.Canceled) {
		t.Fatalf("cancelled caller got err %v, want context.Canceled", s.err)
	}
	close(f.gate)
	// The shared fetch was not cancelled with its first caller.
	deadline := time.Now().Add(5 * time.Second)
	for c.current() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s := c.current(); s == nil || s.err != nil || len(s.containers) != 1 {
		t.Fatalf("after the first caller left, the fetch stored %+v, want one container", s)
	}
}

func TestFetchIsBoundedByTimeout(t *testing.T) {
	f := &fakeRuntime{gate: make(chan struct{})} // never opened
	c := newTestCache(t, f, &fakeClock{t: statsAt}, time.Second)
	c.timeout = 20 * time.Millisecond

	s := c.get(context.Background())
	if !errors.Is(s.err, context.DeadlineExceeded) {
		t.Fatalf("hung runtime gave err %v, want a deadline error", s.err)
	}
}

func TestMissingPodStatsIsNotAScrapeError(t *testing.T) {
	f := &fakeRuntime{podStatsErr: status.Error(codes.Unimplemented, "not implemented")}
	f.addPod("default", "web", "app")
	c := newTestCache(t, f, &fakeClock{t: statsAt}, time.Second)

	s := c.get(context.Background())
	if s.err != nil {
		t.Fatalf("runtime without pod stats failed the scrape: %v", s.err)
	}
	if len(s.pods) != 1 || s.pods[0].cpu.value != 1 {
		t.Errorf("pods = %+v, want web with its container's 1 s of CPU", s.pods)
	}
}

func TestSelectorIsPassedToTheRuntime(t *testing.T) {
	f := &fakeRuntime{}
	c := newTestCache(t, f, &fakeClock{t: statsAt}, time.Second)
	c.selector = map[string]string{"minikubelet.io/managed": "true"}
	c.get(context.Background())
	if len(f.selectors) != 1 || f.selectors[0]["minikubelet.io/managed"] != "true" {
		t.Errorf("ListContainers selectors = %v, want the configured one", f.selectors)
	}
}

func TestOptionalCallFailureIsLoggedOncePerDistinctError(t *testing.T) {
	f := &fakeRuntime{podStatsErr: status.Error(codes.Unknown, "cgroupPath is empty")}
	f.addPod("default", "web", "app")
	c := newTestCache(t, f, &fakeClock{t: statsAt}, 0) // every get fetches
	var logged strings.Builder
	c.log = slog.New(slog.NewTextHandler(&logged, nil))

	for range 3 {
		c.get(context.Background())
	}
	if n := strings.Count(logged.String(), "cgroupPath is empty"); n != 1 {
		t.Errorf("the same pod stats error was logged %d times in 3 scrapes, want 1:\n%s", n, logged.String())
	}
	f.podStatsErr = status.Error(codes.Unavailable, "runtime restarting")
	c.get(context.Background())
	if !strings.Contains(logged.String(), "runtime restarting") {
		t.Errorf("a new error was not logged:\n%s", logged.String())
	}
}
