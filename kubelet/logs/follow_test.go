package logs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type followResult struct {
	stats Stats
	err   error
}

// startFollow runs a follow read in the background.
func startFollow(t *testing.T, rt *fakeRuntime, opts Options, out *testutil.SyncBuffer) <-chan followResult {
	t.Helper()
	opts.Follow = true
	done := make(chan followResult, 1)
	go func() {
		stats, err := ReadLogs(t.Context(), Request{Path: rt.path, Options: opts, Running: rt.isRunning, CheckInterval: 10 * time.Millisecond}, out)
		done <- followResult{stats, err}
	}()
	return done
}

func waitDone(t *testing.T, done <-chan followResult) followResult {
	t.Helper()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("follow: %v", res.err)
		}
		return res
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not end after the container stopped")
	}
	return followResult{}
}

func TestFollowStreamsNewLinesAndEndsWhenContainerStops(t *testing.T) {
	_, path := logDir(t)
	rt, err := newFakeRuntime(path)
	if err != nil {
		t.Fatal(err)
	}
	rt.write(fullLines("old", 0, 3))
	var out testutil.SyncBuffer
	done := startFollow(t, rt, Options{Tail: true, TailLines: 1}, &out)
	waitFor(t, "the tail line", func() bool { return out.String() == "old2\n" })
	rt.write(fullLines("new", 3, 5))
	waitFor(t, "new lines", func() bool { return out.String() == "old2\nnew3\nnew4\n" })
	rt.write(criLine(at(9), "stdout", true, "cut short"))
	rt.stop()
	res := waitDone(t, done)
	if got := out.String(); got != "old2\nnew3\nnew4\ncut short\n" {
		t.Errorf("output = %q", got)
	}
	if res.stats.Lines != 4 {
		t.Errorf("stats = %+v", res.stats)
	}
}

func TestFollowWithTailZeroPrintsOnlyNewLines(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("old", 0, 3))
	var out testutil.SyncBuffer
	done := startFollow(t, rt, Options{Tail: true, TailLines: 0}, &out)
	// The follower starts at the end of the file as it finds it, so a line
	// written before it got there is rightly not shown: write new lines
	// until one shows (a fixed 50ms head start was not always enough on a
	// loaded machine), then expect the new lines from that one on.
	next := 3
	for deadline := time.Now().Add(10 * time.Second); out.String() == ""; next++ {
		if time.Now().After(deadline) {
			t.Fatal("no new line shown within 10s")
		}
		rt.write(fullLines("new", next, next+1))
		time.Sleep(20 * time.Millisecond)
	}
	last := fmt.Sprintf("new%d\n", next-1)
	waitFor(t, "the last new line", func() bool { return strings.HasSuffix(out.String(), last) })
	got := out.String()
	first, err := strconv.Atoi(strings.TrimPrefix(strings.SplitN(got, "\n", 2)[0], "new"))
	if err != nil || first < 3 || got != strings.Join(lineRange("new", first, next), "") {
		t.Errorf("output = %q, want only new lines, in order, up to new%d", got, next-1)
	}
	rt.stop()
	waitDone(t, done)
}

// lineRange is the text lines prefix<from>..prefix<to-1>, as followed.
func lineRange(prefix string, from, to int) []string {
	var lines []string
	for i := from; i < to; i++ {
		lines = append(lines, fmt.Sprintf("%s%d\n", prefix, i))
	}
	return lines
}

func TestFollowOfStoppedContainerReadsToEnd(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 2))
	rt.stop()
	var out testutil.SyncBuffer
	waitDone(t, startFollow(t, rt, Options{}, &out))
	if out.String() != "l0\nl1\n" {
		t.Errorf("output = %q", out.String())
	}
}

// A follower that starts between the rename and the runtime's first write
// to the new file must still get the runtime's last writes to the old one.
func TestFollowStartingRightAfterRenameReadsLateWritesToRenamedFile(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	rt.write(fullLines("l", 0, 2))
	if err := os.Rename(path, rotatedPath(path, at(2))); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, "") // reopened, nothing written yet
	var out testutil.SyncBuffer
	done := startFollow(t, rt, Options{}, &out)
	waitFor(t, "rotated lines", func() bool { return out.String() == "l0\nl1\n" })
	rt.write(fullLines("l", 2, 3)) // still into the renamed file
	rt.ReopenContainerLog(t.Context(), rt.id)
	rt.write(fullLines("l", 3, 4))
	waitFor(t, "all lines", func() bool { return out.String() == numbered("l", 0, 4) })
	rt.stop()
	waitDone(t, done)
}

// Only a compressed rotated file exists (the live one was removed): the
// follower reads it and picks up the live file once the runtime reopens.
func TestFollowStartingWithOnlyCompressedLog(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	os.Remove(path)
	writeGzip(t, rotatedPath(path, at(1))+compressedSuffix, fullLines("l", 0, 2))
	var out testutil.SyncBuffer
	done := startFollow(t, rt, Options{}, &out)
	waitFor(t, "compressed lines", func() bool { return out.String() == "l0\nl1\n" })
	rt.ReopenContainerLog(t.Context(), rt.id)
	rt.write(fullLines("l", 2, 3))
	waitFor(t, "new line", func() bool { return out.String() == numbered("l", 0, 3) })
	rt.stop()
	waitDone(t, done)
}

// containerd writes lines it had buffered into the old file even after
// its first write to the new one; the follower must wait for them.
// The runtime writes a line it had already read into the old file after
// it wrote the first line into the new one; the follower must wait for it.
// The old file's time stamp says how long it had been quiet: just written
// (a wait above the 250ms settle period on a loaded machine must not let the
// follower leave early), or an hour ago, when the container was quiet
// before the rotation and only the new file's first data starts the wait.
func TestFollowWaitsForLateWritesToRotatedFile(t *testing.T) {
	for name, lastWrite := range map[string]time.Duration{"busy": 0, "quiet for an hour": time.Hour} {
		t.Run(name, func(t *testing.T) { followLateWriteAfterRotation(t, lastWrite) })
	}
}

func followLateWriteAfterRotation(t *testing.T, quietFor time.Duration) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	old, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	rt.write(fullLines("l", 0, 1))
	var out testutil.SyncBuffer
	done := startFollow(t, rt, Options{}, &out)
	waitFor(t, "first line", func() bool { return out.String() == "l0\n" })
	if stamp := time.Now().Add(-quietFor); os.Chtimes(path, stamp, stamp) != nil {
		t.Fatal("cannot set the live log's time stamp")
	}
	if err := os.Rename(path, rotatedPath(path, at(1))); err != nil {
		t.Fatal(err)
	}
	rt.ReopenContainerLog(t.Context(), rt.id)
	rt.write(fullLines("l", 2, 3))
	time.Sleep(30 * time.Millisecond)
	old.WriteString(fullLines("l", 1, 2)) // the old writer's buffered line, late
	waitFor(t, "all lines", func() bool { return len(out.String()) >= len("l0\nl1\nl2\n") })
	if got := out.String(); got != "l0\nl1\nl2\n" {
		t.Errorf("output = %q, want l0 l1 l2 in order", got)
	}
	rt.stop()
	waitDone(t, done)
}

// A follower that fell two rotations behind finds its file among the
// compressed ones and resumes right after it.
func TestFollowerFindsItsFileAfterCompression(t *testing.T) {
	dir, path := logDir(t)
	writeFile(t, path, fullLines("a", 0, 50))
	cur, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	info, _ := statFile(cur)
	for i, content := range []string{fullLines("b", 0, 50), fullLines("c", 0, 50)} {
		rotated := rotatedPath(path, at(10+i))
		if err := os.Rename(path, rotated); err != nil {
			t.Fatal(err)
		}
		if err := compressFile(openDirOf(t, path), filepath.Base(rotated)); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, content)
	}
	f := &follower{read: &logRead{dir: openDirOf(t, path)}, path: path, live: "0.log", cur: cur, curInfo: &info}
	f.identifyCursor()
	if !f.curAt.IsZero() {
		t.Fatalf("plain identification found %v in %v", f.curAt, dirNames(t, dir))
	}
	f.identifyCompressedCursor()
	if !f.curAt.Equal(at(10)) {
		t.Errorf("curAt = %v, want %v", f.curAt, at(10))
	}
}

// The reader follows while a writer produces 200,000 numbered lines (some
// split into partial records) and the real rotator renames, reopens,
// compresses and prunes underneath it: every number must arrive exactly
// once and in order (kubelet issue k/k#115701).
func TestFollowAcrossRotationsLosesAndRepeatsNothing(t *testing.T) {
	const lines = 200_000
	dir, path := logDir(t)
	rt, err := newFakeRuntime(path)
	if err != nil {
		t.Fatal(err)
	}
	rotator, err := NewRotator(RotatorConfig{Runtime: rt, MaxSize: 128 << 10, MaxFiles: 40})
	if err != nil {
		t.Fatal(err)
	}
	stopRotating := make(chan struct{})
	rotating := sync.WaitGroup{}
	rotating.Go(func() {
		for {
			select {
			case <-stopRotating:
				return
			case <-time.After(time.Millisecond):
				if err := rotator.RotateOnce(t.Context()); err != nil {
					t.Errorf("RotateOnce: %v", err)
				}
			}
		}
	})
	var out testutil.SyncBuffer
	var done <-chan followResult
	for i := range lines {
		if i == 1000 {
			done = startFollow(t, rt, Options{}, &out)
		}
		msg := fmt.Sprintf("%07d-%s", i, strings.Repeat("x", i%40))
		var records string
		if i%5 == 0 {
			records = criLine(baseTime, "stdout", true, msg[:4]) + criLine(baseTime, "stdout", false, msg[4:])
		} else {
			records = criLine(baseTime, "stdout", false, msg)
		}
		if err := rt.write(records); err != nil {
			t.Fatal(err)
		}
	}
	close(stopRotating)
	rotating.Wait()
	rt.stop()
	res := waitDone(t, done)

	scanner := bufio.NewScanner(strings.NewReader(out.String()))
	next := 0
	for scanner.Scan() {
		number, _, _ := strings.Cut(scanner.Text(), "-")
		n, err := strconv.Atoi(number)
		if err != nil || n != next {
			t.Fatalf("line %d of output is %q, want number %d", next, scanner.Text(), next)
		}
		next++
	}
	if next != lines {
		t.Fatalf("got %d lines, want %d", next, lines)
	}
	if res.stats.Malformed != 0 {
		t.Errorf("malformed = %d", res.stats.Malformed)
	}
	gz, _ := filepath.Glob(filepath.Join(dir, "*.gz"))
	if rt.reopens.Load() < 20 || len(gz) == 0 {
		t.Errorf("only %d rotations and %d compressed files: the test did not exercise rotation", rt.reopens.Load(), len(gz))
	}
	t.Logf("%d rotations, %d compressed files", rt.reopens.Load(), len(gz))
}
