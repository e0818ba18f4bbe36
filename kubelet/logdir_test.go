package kubelet

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/logs"
)

// A container that can write its pod's log directory may plant links
// there. The agent's own reads and the directories it prepares for the
// runtime must not follow them.

const hostSecret = "host-secret-9d2e"

func TestFallbackMessageDoesNotFollowALinkPlantedAsTheLog(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	secret := filepath.Join(t.TempDir(), "secret")
	line := time.Now().UTC().Format(time.RFC3339Nano) + " stdout F " + hostSecret + "\n"
	if err := os.WriteFile(secret, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	pod := testPod(v1.RestartPolicyNever, nil, "a")
	pod.Spec.Containers[0].TerminationMessagePolicy = v1.TerminationMessageFallbackToLogsOnError
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	live := filepath.Join(k.cfg.PodLogDir, "default_web_uid-1", "a", "0.log")
	os.Remove(live)
	if err := os.Symlink(secret, live); err != nil {
		t.Fatal(err)
	}
	rt.exit("a", 1)
	var term *v1.ContainerStateTerminated
	eventually(t, "terminated", func() bool {
		_, p := viewPhase(k, "web")
		term = p.Status.ContainerStatuses[0].State.Terminated
		return term != nil
	})
	time.Sleep(100 * time.Millisecond) // a few more syncs
	_, p := viewPhase(k, "web")
	if msg := p.Status.ContainerStatuses[0].State.Terminated.Message; strings.Contains(msg, hostSecret) {
		t.Fatalf("termination message shows the linked host file: %q", msg)
	}
}

// The runtime opens <pod log dir>/<container>/<n>.log as root; a link in
// place of the container directory or the file would send the container's
// output into a host file. The agent replaces them before creating the
// container.
func TestContainerLogDirectoryIsRealBeforeTheRuntimeOpensIt(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	podDir := filepath.Join(k.cfg.PodLogDir, "default_web_uid-1")
	hostDir, hostFile := t.TempDir(), filepath.Join(t.TempDir(), "file")
	if err := os.MkdirAll(filepath.Join(podDir, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostDir, filepath.Join(podDir, "a")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(hostFile, filepath.Join(podDir, "b", "0.log")); err != nil {
		t.Fatal(err)
	}
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a", "b")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	if info, err := os.Lstat(filepath.Join(podDir, "a")); err != nil || !info.IsDir() {
		t.Errorf("container a's log directory is %v (%v), want a real directory", info.Mode().Type(), err)
	}
	if info, err := os.Lstat(filepath.Join(podDir, "b", "0.log")); err == nil && !info.Mode().IsRegular() {
		t.Errorf("container b's log file is still a %s", info.Mode().Type())
	}
	if entries, _ := os.ReadDir(hostDir); len(entries) != 0 {
		t.Errorf("host directory got %d entries", len(entries))
	}
}

// FallbackToLogsOnError is read on every sync of a failed container, so it
// must cost the kubelet's 80 lines / 2048 bytes, not the log's size.
func TestFallbackMessageReadsOnlyTheLogTail(t *testing.T) {
	live := filepath.Join(t.TempDir(), "default_web_uid", "a", "0.log")
	if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(live)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	const lines = 400_000 // about 37 MiB
	for i := range lines {
		fmt.Fprintf(w, "2024-05-01T10:00:00.000000000Z stdout F line %d with some padding to make it a typical length\n", i)
	}
	if err := w.Flush(); err != nil || f.Close() != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	msg, err := logTail(t.Context(), live)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("fallback message from a %d MiB log allocated %d KiB", fileSize(t, live)>>20, allocated>>10)
	if allocated > 2<<20 {
		t.Errorf("reading the fallback message allocated %d MiB, want under 2 MiB", allocated>>20)
	}
	wantEnd := fmt.Sprintf("line %d with some padding to make it a typical length\n", lines-1)
	if len(msg) != fallbackLogBytes || !strings.HasSuffix(msg, wantEnd) {
		t.Errorf("message is %d bytes ending %q; want the last %d bytes of the log", len(msg), msg[max(0, len(msg)-80):], fallbackLogBytes)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// A process that wrote "DONE" with no newline and failed: its termination
// message is "DONE", as the kubelet's (the upstream conformance test
// "should report termination message from log output if
// TerminationMessagePolicy FallbackToLogsOnError is set"), while
// kubectl logs still ends the line.
func TestFallbackMessageKeepsAnUnterminatedLastLineAsItIs(t *testing.T) {
	live := filepath.Join(t.TempDir(), "default_web_uid", "a", "0.log")
	if err := os.MkdirAll(filepath.Dir(live), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(live, []byte("2024-05-01T10:00:00.000000000Z stdout F first\n2024-05-01T10:00:01.000000000Z stdout P DONE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, err := logTail(t.Context(), live)
	if err != nil {
		t.Fatal(err)
	}
	if msg != "first\nDONE" {
		t.Errorf("message %q, want %q", msg, "first\nDONE")
	}
	var people strings.Builder
	if _, err := logs.ReadLogs(t.Context(), logs.Request{Path: live}, &people); err != nil {
		t.Fatal(err)
	}
	if people.String() != "first\nDONE\n" {
		t.Errorf("a read for people gave %q, want every line ended", people.String())
	}
}
