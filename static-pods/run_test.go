package staticpods

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(entries)
}

// settledCount waits for a count that may lag (goroutines exiting) to fall
// back to at most want, and returns the last value seen.
func settledCount(want int, count func() int) int {
	got := count()
	for deadline := time.Now().Add(waitLimit); got > want && time.Now().Before(deadline); got = count() {
		time.Sleep(10 * time.Millisecond)
	}
	return got
}

func TestRunStopsCleanlyAndLeaksNothing(t *testing.T) {
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	h := startSource(t, Config{Debounce: time.Hour})
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	h.waitFor("pod web", podCalled("web"))
	h.write("bad.yaml", "kind: Pod\n") // left pending: its timer must not outlive Run
	time.Sleep(20 * time.Millisecond)

	if err := h.stop(); err != nil {
		t.Fatalf("Run returned %v after its context ended, want nil", err)
	}
	if got := settledCount(goroutines, runtime.NumGoroutine); got > goroutines {
		t.Errorf("goroutines: %d before, %d after Run stopped", goroutines, got)
	}
	if got := settledCount(fds, func() int { return openFDs(t) }); got > fds {
		t.Errorf("open files: %d before, %d after Run stopped", fds, got)
	}
}

func TestUpdatesKeepsOnlyTheLatestForASlowReader(t *testing.T) {
	src := newIdleSource(t)
	for _, image := range []string{"nginx:1.1", "nginx:1.2", "nginx:1.3"} {
		writeIn(t, src.dir, "web.yaml", manifestFor("web", image))
		src.relistDir(eager, time.Now())
		src.publish(src.snapshot()) // never blocks although nobody reads
	}
	snap := <-src.Updates()
	if got := findPod(snap, "web").Pod.Spec.Containers[0].Image; got != "nginx:1.3" {
		t.Errorf("reader got image %s, want the latest, nginx:1.3", got)
	}
	select {
	case older := <-src.Updates():
		t.Errorf("an older snapshot was still queued: %s", describeSnapshot(older))
	default:
	}
	if got := findPod(src.Current(), "web").Pod.Spec.Containers[0].Image; got != "nginx:1.3" {
		t.Errorf("Current has image %s, want nginx:1.3", got)
	}
}
