package staticpods

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitLimit bounds every wait for a snapshot; generous because the test
// machine is shared, and only reached when a test is failing.
const waitLimit = 5 * time.Second

// harness runs a Source on a temporary directory.
type harness struct {
	t    *testing.T
	dir  string
	src  *Source
	logs *logRecorder
	stop func() error // cancels Run and returns its result
}

func startSource(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.NodeName = testNode
	logs := &logRecorder{}
	cfg.Logger = slog.New(logs)
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(waitLimit):
				t.Errorf("Run did not return after its context ended")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	h := &harness{t: t, dir: cfg.Dir, src: src, logs: logs, stop: stop}
	h.waitFor("the first listing", func(Snapshot) bool { return src.publishCount.Load() > 0 })
	return h
}

// waitFor returns the first published snapshot (or the current one)
// satisfying cond, failing the test after waitLimit.
func (h *harness) waitFor(what string, cond func(Snapshot) bool) Snapshot {
	h.t.Helper()
	if current := h.src.Current(); h.src.publishCount.Load() > 0 && cond(current) {
		return current
	}
	deadline := time.After(waitLimit)
	for {
		select {
		case snap := <-h.src.Updates():
			if cond(snap) {
				return snap
			}
		case <-deadline:
			h.t.Fatalf("timed out waiting for %s; current snapshot: %s", what, describeSnapshot(h.src.Current()))
		}
	}
}

// collectUntil records every snapshot published until cond holds.
func (h *harness) collectUntil(what string, cond func(Snapshot) bool) []Snapshot {
	h.t.Helper()
	var seen []Snapshot
	h.waitFor(what, func(s Snapshot) bool {
		seen = append(seen, s)
		return cond(s)
	})
	return seen
}

func (h *harness) path(name string) string { return filepath.Join(h.dir, name) }

func (h *harness) write(name, content string) {
	h.t.Helper()
	if err := os.WriteFile(h.path(name), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// saveAtomically writes a hidden temporary file and renames it over name,
// as most editors and config tools do.
func (h *harness) saveAtomically(name, content string) {
	h.t.Helper()
	tmp := h.path("." + name + ".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, h.path(name)); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) remove(name string) {
	h.t.Helper()
	if err := os.Remove(h.path(name)); err != nil {
		h.t.Fatal(err)
	}
}

func podCalled(name string) func(Snapshot) bool {
	return func(s Snapshot) bool { return findPod(s, name) != nil }
}

func noPodCalled(name string) func(Snapshot) bool {
	return func(s Snapshot) bool { return findPod(s, name) == nil }
}

func findPod(s Snapshot, name string) *StaticPod {
	for i := range s.Pods {
		if s.Pods[i].Pod.Name == name {
			return &s.Pods[i]
		}
	}
	return nil
}

func findError(s Snapshot, file string) *FileError {
	for i := range s.Errors {
		if s.Errors[i].File == file {
			return &s.Errors[i]
		}
	}
	return nil
}

func describeSnapshot(s Snapshot) string {
	var b strings.Builder
	for _, p := range s.Pods {
		b.WriteString("pod " + p.Pod.Namespace + "/" + p.Pod.Name + " uid " + string(p.Pod.UID) + " from " + p.File)
		if p.Stale {
			b.WriteString(" (stale)")
		}
		b.WriteString("; ")
	}
	for _, e := range s.Errors {
		b.WriteString("error " + strings.Join(e.Messages, " | ") + "; ")
	}
	if b.Len() == 0 {
		return "empty"
	}
	return b.String()
}

// manifestFor returns a valid single-container manifest.
func manifestFor(name, image string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:\n  - name: main\n    image: " + image + "\n"
}

// logRecorder is a slog.Handler keeping every record, for tests that check
// what is logged and how often.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, record slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, record.Clone())
	return nil
}

// warnings returns the attributes of each warning logged so far.
func (r *logRecorder) warnings() []map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]string
	for _, record := range r.records {
		if record.Level != slog.LevelWarn {
			continue
		}
		attrs := map[string]string{"msg": record.Message}
		record.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, attrs)
	}
	return out
}
