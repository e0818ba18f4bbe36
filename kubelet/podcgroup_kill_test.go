package kubelet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestKillCgroupProcessesKillsWhatTheSubtreeLists: a process listed in a
// container cgroup under the pod's, in one hierarchy, is killed; one
// listed elsewhere is not.
func TestKillCgroupProcessesKillsWhatTheSubtreeLists(t *testing.T) {
	root := t.TempDir()
	left, leftExited := startSleep(t)
	other, otherExited := startSleep(t)
	writeProcs := func(dir string, pids ...int) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		content := ""
		for _, pid := range pids {
			content += fmt.Sprintln(pid)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeProcs(filepath.Join(root, "pids", "minikubelet", "podA"))
	writeProcs(filepath.Join(root, "pids", "minikubelet", "podA", "ctr"), left)
	writeProcs(filepath.Join(root, "pids", "minikubelet", "podB"), other)

	if killed := killCgroupProcesses(root, "minikubelet/podA"); killed != 1 {
		t.Errorf("killed %d processes, want 1", killed)
	}
	select {
	case <-leftExited:
	case <-time.After(5 * time.Second):
		t.Fatal("the process in the pod's cgroup still runs")
	}
	select {
	case <-otherExited:
		t.Fatal("a process in another pod's cgroup was killed")
	case <-time.After(200 * time.Millisecond):
	}
	if killed := killCgroupProcesses(root, "minikubelet/gone"); killed != 0 {
		t.Errorf("a missing cgroup killed %d", killed)
	}
}

// startSleep starts a process and returns its PID and a channel closed
// when it has exited.
func startSleep(t *testing.T) (int, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	return cmd.Process.Pid, exited
}
