package staticpods

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// newIdleSource returns a Source that is not running, so a test can drive
// its listing by hand, as if the watcher had missed every event.
func newIdleSource(t *testing.T) *Source {
	t.Helper()
	src, err := NewSource(Config{Dir: t.TempDir(), NodeName: testNode, Debounce: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func writeIn(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRelistHealsMissedEvents(t *testing.T) {
	src := newIdleSource(t)
	src.relistDir(settled, time.Now())
	writeIn(t, src.dir, "web.yaml", manifestFor("web", "nginx:1.27"))

	// No event was seen; the periodic relist alone must find the new file.
	src.relistDir(eager, time.Now())
	if findPod(src.snapshot(), "web") == nil {
		t.Fatalf("relist did not pick up a new file")
	}

	// And a deletion, once the file has stayed gone for the debounce period.
	if err := os.Remove(filepath.Join(src.dir, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	src.relistDir(eager, time.Now())
	src.settleDue(time.Now().Add(time.Second))
	if snap := src.snapshot(); len(snap.Pods) != 0 {
		t.Fatalf("relist did not drop a deleted file: %s", describeSnapshot(snap))
	}
}

func TestRelistHealsChangeBehindSymlink(t *testing.T) {
	// Editing a symlink's target outside the directory raises no event in
	// it; only the relist can notice. Run it for real with a short period.
	outside := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(outside, []byte(manifestFor("web", "nginx:1.27")), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	h := startSource(t, Config{Dir: dir, Relist: 50 * time.Millisecond})
	h.waitFor("pod web", podCalled("web"))
	if err := os.WriteFile(outside, []byte(manifestFor("web", "nginx:1.28")), 0o644); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the edit behind the symlink", func(s Snapshot) bool {
		p := findPod(s, "web")
		return p != nil && p.Pod.Spec.Containers[0].Image == "nginx:1.28"
	})
}

func TestNameClashFirstListingGoesByFileName(t *testing.T) {
	src := newIdleSource(t)
	writeIn(t, src.dir, "b.yaml", manifestFor("web", "nginx:1.27"))
	writeIn(t, src.dir, "a.yaml", manifestFor("web", "nginx:1.28"))
	src.relistDir(settled, time.Now())
	snap := src.snapshot()
	if p := findPod(snap, "web"); p == nil || filepath.Base(p.File) != "a.yaml" {
		t.Fatalf("want a.yaml to own pod web, got %s", describeSnapshot(snap))
	}
	ferr := findError(snap, filepath.Join(src.dir, "b.yaml"))
	if ferr == nil || !slices.Equal(ferr.Messages, []string{"b.yaml: pod default/web is already defined by a.yaml"}) {
		t.Fatalf("b.yaml error = %+v", ferr)
	}
	if want := []types.NamespacedName{{Namespace: "default", Name: "web"}}; !slices.Equal(ferr.Pods, want) {
		t.Errorf("FileError.Pods = %v, want %v", ferr.Pods, want)
	}

	// When the owner lets go, the other file's pod takes over.
	if err := os.Remove(filepath.Join(src.dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	src.relistDir(settled, time.Now())
	snap = src.snapshot()
	if p := findPod(snap, "web"); p == nil || filepath.Base(p.File) != "b.yaml" || len(snap.Errors) != 0 {
		t.Fatalf("want b.yaml to own pod web without errors, got %s", describeSnapshot(snap))
	}
}

func TestNameClashFirstDefinerKeepsPodThroughEdits(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond})
	h.write("z.yaml", manifestFor("web", "nginx:1.27"))
	h.waitFor("pod web", podCalled("web"))
	h.write("a.yaml", manifestFor("web", "nginx:1.28"))
	snap := h.waitFor("the clash", func(s Snapshot) bool { return len(s.Errors) == 1 })
	if p := findPod(snap, "web"); p == nil || filepath.Base(p.File) != "z.yaml" {
		t.Fatalf("the file seen first must keep the pod, got %s", describeSnapshot(snap))
	}
	// Editing the owner, even into a broken state, does not hand the pod over.
	h.write("z.yaml", "apiVersion: v1\n")
	snap = h.waitFor("z.yaml broken", func(s Snapshot) bool { return len(s.Errors) == 2 })
	if p := findPod(snap, "web"); p == nil || filepath.Base(p.File) != "z.yaml" || !p.Stale {
		t.Fatalf("the owner's stale pod must stay, got %s", describeSnapshot(snap))
	}
}

func TestFirstListingReportsBadFilesAtOnce(t *testing.T) {
	dir := t.TempDir()
	writeIn(t, dir, "kubia-manual.yaml", kubiaManual)
	h := startSource(t, Config{Dir: dir, Debounce: time.Minute})
	snap := h.src.Current()
	ferr := findError(snap, filepath.Join(dir, "kubia-manual.yaml"))
	if ferr == nil || len(ferr.Messages) != 2 || len(snap.Pods) != 0 {
		t.Fatalf("want only the file's two problems, got %s", describeSnapshot(snap))
	}
	if want := []types.NamespacedName{{Namespace: "default", Name: "kubia-manual"}}; !slices.Equal(ferr.Pods, want) {
		t.Errorf("FileError.Pods = %v, want %v", ferr.Pods, want)
	}
}

func TestProblemsAreLoggedOncePerChange(t *testing.T) {
	dir := t.TempDir()
	writeIn(t, dir, "kubia-manual.yaml", kubiaManual)
	h := startSource(t, Config{Dir: dir, Debounce: 20 * time.Millisecond, Relist: 20 * time.Millisecond})
	time.Sleep(200 * time.Millisecond) // several relists
	warnings := h.logs.warnings()
	if len(warnings) != 2 {
		t.Fatalf("want 2 warnings (one per problem, not per relist), got %v", warnings)
	}
	wantFields := []string{"kind", "spec.containers[0].images"}
	for i, w := range warnings {
		if w["file"] != filepath.Join(dir, "kubia-manual.yaml") || w["field"] != wantFields[i] {
			t.Errorf("warning %d = %v, want file and field %q", i, w, wantFields[i])
		}
	}

	h.write("kubia-manual.yaml", kubiaManual+"    bogus: 1\n")
	h.waitFor("the new error", func(s Snapshot) bool { return len(s.Errors) == 1 && len(s.Errors[0].Messages) == 3 })
	if got := len(h.logs.warnings()); got != 5 {
		t.Errorf("after the error changed: %d warnings, want 2 + 3", got)
	}
}

func TestNewSourceChecksConfig(t *testing.T) {
	if _, err := NewSource(Config{NodeName: "n"}); err == nil {
		t.Error("empty Dir accepted")
	}
	if _, err := NewSource(Config{Dir: t.TempDir()}); err == nil {
		t.Error("empty NodeName accepted")
	}
	dir := filepath.Join(t.TempDir(), "a", "manifests")
	src, err := NewSource(Config{Dir: dir, NodeName: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() || info.Mode().Perm() != 0o755 {
		t.Errorf("manifest dir not created 0755: %v %v", info, err)
	}
	if src.relist != DefaultRelist || src.debounce != DefaultDebounce {
		t.Errorf("defaults not applied: relist %s debounce %s", src.relist, src.debounce)
	}
	if snap := src.Current(); len(snap.Pods) != 0 || len(snap.Errors) != 0 {
		t.Errorf("Current before Run = %+v, want empty", snap)
	}
}

func TestFrequentRelistsDoNotPostponeAnError(t *testing.T) {
	// Relists re-read the failing file far more often than the debounce
	// period; only a change to the file may restart the wait.
	h := startSource(t, Config{Debounce: 100 * time.Millisecond, Relist: 10 * time.Millisecond})
	h.write("bad.yaml", "kind: Pod\n")
	h.waitFor("the error", func(s Snapshot) bool { return len(s.Errors) == 1 })
}
