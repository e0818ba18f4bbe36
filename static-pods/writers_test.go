package staticpods

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Two writes of one manifest, each of which leaves a valid pod: the first
// runs nginx:1.27 alone, the whole adds an environment variable.
const (
	firstWrite  = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    image: nginx:1.27\n"
	secondWrite = "    env:\n    - name: COMPLETE\n      value: \"yes\"\n"
)

// writeInTwo writes firstWrite into name through one open file, pauses,
// writes secondWrite and closes it, as `{ echo …; sleep 1; echo …; } > name`
// does. truncate rewrites an existing file in place.
func (h *harness) writeInTwo(name string, pause time.Duration, truncate bool) {
	h.t.Helper()
	flags := os.O_WRONLY | os.O_CREATE
	if truncate {
		flags |= os.O_TRUNC
	}
	file, err := os.OpenFile(h.path(name), flags, 0o644)
	if err != nil {
		h.t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.WriteString(firstWrite); err != nil {
		h.t.Fatal(err)
	}
	time.Sleep(pause)
	if _, err := file.WriteString(secondWrite); err != nil {
		h.t.Fatal(err)
	}
}

func complete(p *StaticPod) bool {
	return p != nil && len(p.Pod.Spec.Containers[0].Env) == 1
}

// TestWatchManifestWrittenInTwoWritesRunsOnlyTheWhole: while its writer
// holds the file open, a manifest's valid first part is never published,
// however long the pause (longer than the settle time and the debounce);
// the whole is published when the writer closes the file.
func TestWatchManifestWrittenInTwoWritesRunsOnlyTheWhole(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, Settle: 30 * time.Millisecond})
	done := make(chan struct{})
	go func() { defer close(done); h.writeInTwo("web.yaml", 600*time.Millisecond, false) }()
	seen := h.collectUntil("the whole manifest", func(s Snapshot) bool { return complete(findPod(s, "web")) })
	<-done
	for _, s := range seen {
		if p := findPod(s, "web"); p != nil && !complete(p) {
			t.Fatalf("the first of two writes was published: %s", describeSnapshot(s))
		}
	}
}

// TestWatchManifestRewrittenInPlaceKeepsThePodUntilTheWriteEnds: an edit
// in place (truncate, write, pause, write) keeps the old pod until the
// writer closes the file, then replaces it once, with the whole.
func TestWatchManifestRewrittenInPlaceKeepsThePodUntilTheWriteEnds(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, Settle: 30 * time.Millisecond})
	h.write("web.yaml", manifestFor("web", "nginx:1.26"))
	old := findPod(h.waitFor("the old pod", podCalled("web")), "web").Pod.UID
	done := make(chan struct{})
	go func() { defer close(done); h.writeInTwo("web.yaml", 600*time.Millisecond, true) }()
	seen := h.collectUntil("the whole manifest", func(s Snapshot) bool { return complete(findPod(s, "web")) })
	<-done
	for _, s := range seen {
		p := findPod(s, "web")
		if p == nil || len(s.Errors) != 0 || (p.Pod.UID != old && !complete(p)) {
			t.Fatalf("a write in progress was published: %s", describeSnapshot(s))
		}
	}
}

// TestWatchWriterThatKeepsTheFileOpenIsReadWhenQuiet: a writer that never
// closes the file gets its content used once it has not written for
// WriterQuiet, with a warning.
func TestWatchWriterThatKeepsTheFileOpenIsReadWhenQuiet(t *testing.T) {
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, WriterQuiet: 300 * time.Millisecond})
	file, err := os.OpenFile(h.path("web.yaml"), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	start := time.Now()
	if _, err := file.WriteString(firstWrite + secondWrite); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the pod of the open file", func(s Snapshot) bool { return complete(findPod(s, "web")) })
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("read %s after the write, before WriterQuiet", waited)
	}
	if warnings := h.logs.warnings(); len(warnings) != 1 || !strings.Contains(warnings[0]["msg"], "still open for writing") {
		t.Errorf("want one warning about the open file, got %v", warnings)
	}
}

// withoutLeases makes the source unable to tell whether a file is open for
// writing, as for a file someone else owns or a file system without leases.
func withoutLeases(t *testing.T) {
	leaseForRead = func(*os.File) writerStatus { return writersUnknown }
	t.Cleanup(func() { leaseForRead = holdReadLease })
}

// TestWatchWithoutLeasesCloseWriteEndsTheWait: where the kernel cannot say
// whether a writer holds the file, a written file is read when its writer
// closes it (IN_CLOSE_WRITE), without waiting for the settle time.
func TestWatchWithoutLeasesCloseWriteEndsTheWait(t *testing.T) {
	withoutLeases(t)
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, Settle: time.Hour})
	done := make(chan struct{})
	go func() { defer close(done); h.writeInTwo("web.yaml", 100*time.Millisecond, false) }()
	seen := h.collectUntil("the whole manifest", func(s Snapshot) bool { return complete(findPod(s, "web")) })
	<-done
	for _, s := range seen {
		if p := findPod(s, "web"); p != nil && !complete(p) {
			t.Fatalf("the first of two writes was published: %s", describeSnapshot(s))
		}
	}
}

// TestWatchWithoutLeasesSettleReadsAnOpenFile: where the kernel cannot tell,
// a file its writer keeps open is read once it has had no write for Settle.
func TestWatchWithoutLeasesSettleReadsAnOpenFile(t *testing.T) {
	withoutLeases(t)
	h := startSource(t, Config{Debounce: 30 * time.Millisecond, Settle: 200 * time.Millisecond})
	file, err := os.OpenFile(h.path("web.yaml"), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	start := time.Now()
	if _, err := file.WriteString(firstWrite + secondWrite); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the pod of the open file", func(s Snapshot) bool { return complete(findPod(s, "web")) })
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("read %s after the write, before the settle time", waited)
	}
}
