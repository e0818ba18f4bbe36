package logs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func newTestRotator(t *testing.T, rt *fakeRuntime, cfg RotatorConfig) *Rotator {
	t.Helper()
	cfg.Runtime = rt
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return at(100) }
	}
	r, err := NewRotator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dirNames lists a directory's file names, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRotatorRotatesOversizedLogAndReopens(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 10))
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100})
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	rt.write(fullLines("l", 10, 11))
	want := []string{"0.log", "0.log.20240501-100140.000000"}
	if got := dirNames(t, dir); !slices.Equal(got, want) || rt.reopens.Load() != 1 {
		t.Fatalf("files = %v (reopens %d), want %v", got, rt.reopens.Load(), want)
	}
	if got, _ := readAll(t, path, Options{}); got != numbered("l", 0, 11) {
		t.Errorf("log after rotation = %q", got)
	}
	// A small live file stays.
	if err := r.RotateOnce(t.Context()); err != nil || rt.reopens.Load() != 1 {
		t.Errorf("second pass rotated a small file: err %v reopens %d", err, rt.reopens.Load())
	}
}

func TestRotatorUndoesRenameWhenReopenFails(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 10))
	rt.failReopen.Store(true)
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100})
	err := r.RotateOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), "reopen refused") || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v, want the reopen failure naming %s", err, path)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"0.log"}) {
		t.Errorf("files = %v, want the live file back in place", got)
	}
}

func TestRotatorPrunesAndCompressesAllButNewest(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	for i := range 5 {
		writeFile(t, rotatedPath(path, at(i)), fullLines("r", i, i+1))
	}
	writeFile(t, rotatedPath(path, at(0))+compressedSuffix+tmpSuffix, "crash leftover")
	rt.write(fullLines("l", 5, 6))
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 1 << 20, MaxFiles: 4})
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"0.log", "0.log.20240501-100002.000000.gz", "0.log.20240501-100003.000000.gz", "0.log.20240501-100004.000000"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	if got, _ := readAll(t, path, Options{}); got != "r2\nr3\nr4\nl5\n" {
		t.Errorf("log = %q", got)
	}
}

func TestRotatorReopensDeletedLiveFile(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	os.Remove(path)
	r := newTestRotator(t, rt, RotatorConfig{})
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil || rt.reopens.Load() != 1 {
		t.Errorf("live file not recreated: %v, reopens %d", err, rt.reopens.Load())
	}
}

func TestRotatorAsksOnlyForItsOwnContainers(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	labels := map[string]string{"io.minikubelet.managed": "true"}
	r := newTestRotator(t, rt, RotatorConfig{Labels: labels})
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	// No state filter: exited containers' logs are limited too.
	f := rt.lastFilter
	if f.GetState() != nil || f.GetLabelSelector()["io.minikubelet.managed"] != "true" {
		t.Errorf("filter = %v", f)
	}
}

func TestRotatorConfigValidation(t *testing.T) {
	rt, _ := newFakeRuntime(filepath.Join(t.TempDir(), "0.log"))
	bad := []RotatorConfig{
		{},
		{Runtime: rt, MaxFiles: 1},
		{Runtime: rt, MaxSize: -1},
		{Runtime: rt, Interval: -time.Second},
	}
	for _, cfg := range bad {
		if _, err := NewRotator(cfg); err == nil {
			t.Errorf("NewRotator(%+v) accepted", cfg)
		}
	}
	r, err := NewRotator(RotatorConfig{Runtime: rt})
	if err != nil || r.cfg.MaxSize != DefaultMaxSize || r.cfg.MaxFiles != DefaultMaxFiles || r.cfg.Interval != DefaultInterval {
		t.Errorf("defaults not applied: %+v, %v", r.cfg, err)
	}
}

func TestRotatorRunStopsWithContext(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 10))
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100, Interval: time.Millisecond, Now: time.Now})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, "a rotation", func() bool { return len(dirNames(t, dir)) > 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

// An exited container's log counts against MaxSize too: nothing writes it
// any more, so the live file is rotated without a reopen and every rotated
// file is compressed.
func TestRotatorLimitsExitedContainersLogs(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	writeFile(t, rotatedPath(path, at(1)), fullLines("r", 0, 10))
	rt.write(fullLines("l", 10, 40))
	rt.stop()
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100, MaxFiles: 3})
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"0.log.20240501-100001.000000.gz", "0.log.20240501-100140.000000.gz"}
	if got := dirNames(t, dir); !slices.Equal(got, want) || rt.reopens.Load() != 0 {
		t.Errorf("files = %v (reopens %d), want %v", got, rt.reopens.Load(), want)
	}
	if got, _ := readAll(t, path, Options{}); got != numbered("r", 0, 10)+numbered("l", 10, 40) {
		t.Errorf("log after rotation = %q", got)
	}
}

// A container removed between the list and its status call went with its
// logs: nothing to rotate, and nothing to warn about.
func TestRotatorSkipsAContainerRemovedSinceTheList(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.removed.Store(true)
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100})
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatalf("RotateOnce: %v, want nil for a container the runtime no longer has", err)
	}
}

// A container's log path is asked of the runtime once, not on every pass:
// at 110 pods that was 11 ContainerStatus calls a second at rest. A path
// that is gone (the container removed since) is asked again.
func TestRotatorAsksForALogPathOnce(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100})
	for pass := 0; pass < 5; pass++ {
		if err := r.RotateOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if calls := rt.statusCalls.Load(); calls != 1 {
		t.Errorf("5 passes made %d ContainerStatus calls, want 1", calls)
	}
	if err := os.RemoveAll(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
	rt.removed.Store(true)
	if err := r.RotateOnce(t.Context()); err != nil || rt.statusCalls.Load() != 2 {
		t.Errorf("after the log dir went: %v, %d status calls; want nil and the runtime asked again", err, rt.statusCalls.Load())
	}
}

// A container whose directory holds only its live log is not listed again
// on every pass: only a rotation makes files beside it. At 110 pods the two
// listings per container were most of the rotator's work at rest. After a
// rotation it is listed again, so the rotated file is compressed once the
// container has exited.
func TestRotatorListsASettledContainersDirectoryOnlyAfterARotation(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 2))
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100})
	for pass := 0; pass < 5; pass++ {
		if err := r.RotateOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.dirListings.Load(); got != 2 {
		t.Errorf("5 passes over a small log listed its directory %d times, want 2 (the first pass only)", got)
	}
	rt.write(fullLines("l", 2, 12))
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	rt.stop()
	if err := r.RotateOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := []string{"0.log", "0.log.20240501-100140.000000.gz"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("files after a rotation and the container's exit = %v, want %v", got, want)
	}
}

// A stale temporary file the rotator could not remove keeps the container
// unsettled, so it is tried again on the next pass instead of being left
// until the container's next rotation, which a small log never has.
func TestRotatorDoesNotSettleWhileAStaleTemporaryStays(t *testing.T) {
	dir, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 2))
	// A directory by a temporary's name: unlinking it fails.
	stale := filepath.Join(dir, "0.log.20240501-100000.000000.gz"+tmpSuffix)
	if err := os.MkdirAll(filepath.Join(stale, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100})
	for pass := 0; pass < 3; pass++ {
		if err := r.RotateOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.dirListings.Load(); got != 6 {
		t.Errorf("3 passes with a stale temporary left listed the directory %d times, want 6 (every pass)", got)
	}
}
