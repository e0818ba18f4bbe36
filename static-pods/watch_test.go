package staticpods

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestWatchNewFileIsPublishedWithoutWaitingForDebounce(t *testing.T) {
	// A debounce far longer than the wait limit: a good file delayed by it
	// would time out.
	h := startSource(t, Config{Debounce: time.Minute})
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	snap := h.waitFor("pod web", podCalled("web"))
	pod := findPod(snap, "web")
	if pod.File != h.path("web.yaml") || pod.Stale || pod.Pod.UID == "" {
		t.Fatalf("got %+v, want a fresh pod from web.yaml with a UID", pod)
	}
	if len(snap.Errors) != 0 {
		t.Errorf("unexpected errors: %s", describeSnapshot(snap))
	}
}

func TestWatchAtomicRenameSaveReplacesPodWithoutGap(t *testing.T) {
	h := startSource(t, Config{})
	h.saveAtomically("web.yaml", manifestFor("web", "nginx:1.27"))
	first := findPod(h.waitFor("pod web", podCalled("web")), "web").Pod.UID

	h.saveAtomically("web.yaml", manifestFor("web", "nginx:1.28"))
	seen := h.collectUntil("the edited pod", func(s Snapshot) bool {
		p := findPod(s, "web")
		return p != nil && p.Pod.UID != first
	})
	for _, s := range seen {
		if findPod(s, "web") == nil || len(s.Errors) != 0 {
			t.Errorf("an atomic save published a gap or an error: %s", describeSnapshot(s))
		}
	}
	if got := findPod(seen[len(seen)-1], "web").Pod.Spec.Containers[0].Image; got != "nginx:1.28" {
		t.Errorf("image = %s, want nginx:1.28", got)
	}
}

func TestWatchHalfWrittenSaveMakesNoErrorNoise(t *testing.T) {
	h := startSource(t, Config{Debounce: 500 * time.Millisecond})
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	first := findPod(h.waitFor("pod web", podCalled("web")), "web").Pod.UID

	// Truncate, write half (no image yet: invalid), pause, write the rest.
	full := manifestFor("web", "nginx:1.28")
	half := full[:strings.Index(full, "    image:")]
	file, err := os.OpenFile(h.path("web.yaml"), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.WriteString(half); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := file.WriteString(full[len(half):]); err != nil {
		t.Fatal(err)
	}
	file.Close()

	seen := h.collectUntil("the edited pod", func(s Snapshot) bool {
		p := findPod(s, "web")
		return p != nil && p.Pod.UID != first
	})
	for _, s := range seen {
		if len(s.Errors) != 0 || findPod(s, "web") == nil {
			t.Errorf("a save in progress was reported: %s", describeSnapshot(s))
		}
	}
	if len(h.logs.warnings()) != 0 {
		t.Errorf("a save in progress was logged: %v", h.logs.warnings())
	}
}

func TestWatchFileLeftHalfWrittenKeepsLastGoodPodAsStale(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond})
	full := manifestFor("web", "nginx:1.27")
	h.write("web.yaml", full)
	good := findPod(h.waitFor("pod web", podCalled("web")), "web").Pod.UID

	h.write("web.yaml", full[:strings.Index(full, "    image:")])
	snap := h.waitFor("the file's error", func(s Snapshot) bool { return len(s.Errors) > 0 })
	pod := findPod(snap, "web")
	if pod == nil || !pod.Stale || pod.Pod.UID != good {
		t.Fatalf("want the last good pod kept as stale, got %s", describeSnapshot(snap))
	}
	ferr := findError(snap, h.path("web.yaml"))
	wantMessage := "web.yaml: spec.containers[0].image: is required (the image to run, e.g. \"nginx:1.27\")"
	if ferr == nil || !slices.Equal(ferr.Messages, []string{wantMessage}) {
		t.Fatalf("error = %+v, want %q", ferr, wantMessage)
	}
	if want := []types.NamespacedName{{Namespace: "default", Name: "web"}}; !slices.Equal(ferr.Pods, want) {
		t.Errorf("FileError.Pods = %v, want %v", ferr.Pods, want)
	}

	h.write("web.yaml", full)
	snap = h.waitFor("the file fixed", func(s Snapshot) bool { return len(s.Errors) == 0 })
	if pod := findPod(snap, "web"); pod == nil || pod.Stale || pod.Pod.UID != good {
		t.Fatalf("want the pod fresh again with its old UID, got %s", describeSnapshot(snap))
	}
}

func TestWatchDeleteAndRenameAwayRemovePods(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond})
	h.write("a.yaml", manifestFor("a", "nginx:1.27"))
	h.write("b.yaml", manifestFor("b", "nginx:1.27"))
	h.waitFor("both pods", func(s Snapshot) bool { return len(s.Pods) == 2 })

	h.remove("a.yaml")
	h.waitFor("pod a gone", noPodCalled("a"))
	if err := os.Rename(h.path("b.yaml"), h.path("b.yaml.disabled")); err != nil {
		t.Fatal(err)
	}
	snap := h.waitFor("pod b gone", noPodCalled("b"))
	if len(snap.Pods) != 0 || len(snap.Errors) != 0 {
		t.Errorf("want nothing left, got %s", describeSnapshot(snap))
	}
}

func TestWatchBurstOfWritesPublishesOnce(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond})
	before := h.src.publishCount.Load()
	content := manifestFor("web", "nginx:1.27")
	for range 25 {
		h.write("web.yaml", content) // truncate + write each time
	}
	h.waitFor("pod web", podCalled("web"))
	// A barrier: once this later file shows, every earlier event was handled,
	// and waiting past the debounce lets any held-back re-read happen.
	time.Sleep(100 * time.Millisecond)
	h.write("barrier.yaml", manifestFor("barrier", "nginx:1.27"))
	h.waitFor("the barrier pod", podCalled("barrier"))
	if got := h.src.publishCount.Load() - before; got != 2 {
		t.Errorf("published %d snapshots for a burst plus the barrier, want 2", got)
	}

	// Same pod, different bytes: nothing new to say.
	before = h.src.publishCount.Load()
	h.saveAtomically("web.yaml", "# reformatted\n"+content)
	h.write("barrier.yaml", manifestFor("barrier", "nginx:1.28"))
	h.waitFor("the barrier pod edited", func(s Snapshot) bool {
		p := findPod(s, "barrier")
		return p != nil && p.Pod.Spec.Containers[0].Image == "nginx:1.28"
	})
	if got := h.src.publishCount.Load() - before; got != 1 {
		t.Errorf("an edit that changes no pod published %d extra snapshots", got-1)
	}
}

func TestWatchIgnoresNonManifestNames(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond})
	for _, name := range []string{".web.yaml", "web.yaml~", "#web.yaml#", ".web.yaml.swp", "web.yaml.tmp", "web.txt", "web"} {
		h.write(name, manifestFor(strings.NewReplacer(".", "x", "~", "x", "#", "x").Replace(name), "nginx:1.27"))
	}
	if err := os.Mkdir(h.path("nested.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "nested.yaml", "inner.yaml"), []byte(manifestFor("inner", "x:1")), 0o644); err != nil {
		t.Fatal(err)
	}
	h.write("barrier.yaml", manifestFor("barrier", "nginx:1.27"))
	h.waitFor("the barrier pod", podCalled("barrier"))
	time.Sleep(100 * time.Millisecond) // past the debounce, in case any was held back as failing
	if snap := h.src.Current(); len(snap.Pods) != 1 || len(snap.Errors) != 0 {
		t.Fatalf("ignored files were read: %s", describeSnapshot(snap))
	}
}

func TestWatchSymlinkAndSizeRules(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond})
	outside := t.TempDir()
	target := filepath.Join(outside, "web.yaml")
	if err := os.WriteFile(target, []byte(manifestFor("web", "nginx:1.27")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, h.path("web.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, h.path("dir.yaml")); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(h.path("big.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(11 << 20); err != nil {
		t.Fatal(err)
	}
	big.Close()

	snap := h.waitFor("pod and two errors", func(s Snapshot) bool { return len(s.Pods) == 1 && len(s.Errors) == 2 })
	if p := findPod(snap, "web"); p == nil || p.File != h.path("web.yaml") {
		t.Errorf("the symlinked manifest was not read: %s", describeSnapshot(snap))
	}
	wantErrors := map[string]string{
		"dir.yaml": "dir.yaml: is a symlink to " + outside + ", which is a directory (only symlinks to regular files are read)",
		"big.yaml": "big.yaml: is 11534336 bytes, over the 10 MiB (10485760 bytes) limit for a manifest (split it into several files)",
	}
	for file, want := range wantErrors {
		if ferr := findError(snap, h.path(file)); ferr == nil || !slices.Equal(ferr.Messages, []string{want}) {
			t.Errorf("%s: got %+v, want %q", file, ferr, want)
		}
	}
}

func TestWatchDirectoryRemovedThenRecreated(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, Relist: 50 * time.Millisecond})
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	h.waitFor("pod web", podCalled("web"))
	if err := os.RemoveAll(h.dir); err != nil {
		t.Fatal(err)
	}
	h.waitFor("pod web gone", noPodCalled("web"))
	if err := os.Mkdir(h.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	h.waitFor("pod web back", podCalled("web"))
	h.write("api.yaml", manifestFor("api", "nginx:1.27"))
	h.waitFor("pod api", podCalled("api"))
}

func TestWatchBackupRenameSaveKeepsPodRunning(t *testing.T) {
	// vim's default save: move the old file to a backup name, write a new
	// file, delete the backup. The pod must not vanish in between.
	h := startSource(t, Config{Debounce: 200 * time.Millisecond})
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	first := findPod(h.waitFor("pod web", podCalled("web")), "web").Pod.UID
	if err := os.Rename(h.path("web.yaml"), h.path("web.yaml~")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // let the rename be seen on its own
	h.write("web.yaml", manifestFor("web", "nginx:1.28"))
	h.remove("web.yaml~")
	seen := h.collectUntil("the edited pod", func(s Snapshot) bool {
		p := findPod(s, "web")
		return p != nil && p.Pod.UID != first
	})
	for _, s := range seen {
		if findPod(s, "web") == nil {
			t.Errorf("the pod vanished during a backup-rename save: %s", describeSnapshot(s))
		}
	}
}
