package staticpods

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The relist in these tests is an hour away: what the source sees, it
// sees through its watch.

func TestWatchFollowsADirectoryMadeAgainWithoutARelist(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, Relist: time.Hour})
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	h.waitFor("pod web", podCalled("web"))
	if err := os.RemoveAll(h.dir); err != nil {
		t.Fatal(err)
	}
	h.waitFor("pod web gone with the directory", noPodCalled("web"))
	if err := os.Mkdir(h.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h.write("web.yaml", manifestFor("web", "nginx:1.27"))
	h.waitFor("pod web back", podCalled("web"))
	h.write("api.yaml", manifestFor("api", "nginx:1.27"))
	h.waitFor("a file written into the new directory", podCalled("api"))
}

// TestWatchFollowsASymlinkSwapWithoutARelist: the directory is a symlink
// to versions/N, swapped by renaming a new symlink over it. Each swap is
// followed; a file whose content did not change keeps its pod's UID.
func TestWatchFollowsASymlinkSwapWithoutARelist(t *testing.T) {
	base := t.TempDir()
	version := func(n string, files map[string]string) {
		dir := filepath.Join(base, "versions", n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	current := filepath.Join(base, "current")
	swap := func(n string) {
		if err := os.Symlink(filepath.Join("versions", n), current+".new"); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(current+".new", current); err != nil {
			t.Fatal(err)
		}
	}
	version("1", map[string]string{"web.yaml": manifestFor("web", "nginx:1.27"), "api.yaml": manifestFor("api", "nginx:1.27")})
	swap("1")
	h := startSource(t, Config{Dir: current, Relist: time.Hour})
	first := h.waitFor("pods web and api", func(s Snapshot) bool { return podCalled("web")(s) && podCalled("api")(s) })

	version("2", map[string]string{"web.yaml": manifestFor("web", "nginx:1.27"), "api.yaml": manifestFor("api", "nginx:1.28"),
		"db.yaml": manifestFor("db", "postgres:17")})
	swap("2")
	second := h.waitFor("the second version", func(s Snapshot) bool {
		api := findPod(s, "api")
		return podCalled("db")(s) && api != nil && api.Pod.UID != findPod(first, "api").Pod.UID
	})
	if web := findPod(second, "web"); web == nil || web.Pod.UID != findPod(first, "web").Pod.UID {
		t.Errorf("the pod of an unchanged file changed across the swap: %s", describeSnapshot(second))
	}

	version("3", map[string]string{"web.yaml": manifestFor("web", "nginx:1.27")})
	swap("3")
	if err := os.RemoveAll(filepath.Join(base, "versions", "1")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the third version", func(s Snapshot) bool { return len(s.Pods) == 1 && podCalled("web")(s) })
	h.write("late.yaml", manifestFor("late", "nginx:1.27"))
	h.waitFor("a file written into the current version", podCalled("late"))
}
