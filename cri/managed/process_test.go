package managed

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestCommandUsesConfig(t *testing.T) {
	cases := []struct {
		cmdline string
		want    bool
	}{
		{"/usr/bin/containerd\x00--config\x00/var/lib/minikubelet/containerd/config.toml\x00", true},
		{"containerd\x00--config=/var/lib/minikubelet/containerd/config.toml\x00", true},
		{"containerd\x00--log-level\x00debug\x00--config\x00/var/lib/minikubelet/containerd/config.toml", true},
		{"/usr/bin/containerd\x00--config\x00/etc/containerd/config.toml\x00", false},
		{"/usr/bin/containerd-shim-runc-v2\x00--config\x00/var/lib/minikubelet/containerd/config.toml\x00", false},
		{"vim\x00/var/lib/minikubelet/containerd/config.toml\x00", false},
		{"containerd\x00--config\x00", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := commandUsesConfig([]byte(tc.cmdline), "containerd", "/var/lib/minikubelet/containerd/config.toml"); got != tc.want {
			t.Errorf("%q: got %v, want %v", tc.cmdline, got, tc.want)
		}
	}
}

func startChild(t *testing.T, script string) *watchedProcess {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	proc, err := watchProcess(cmd.Process.Pid, cmd)
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = proc.signal(syscall.SIGKILL)
		proc.release()
	})
	return proc
}

func TestWatchedProcessSeesExitAndReapsChild(t *testing.T) {
	proc := startChild(t, "exit 3")
	select {
	case <-proc.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("exit not seen")
	}
	if got := proc.exitStatus(); got != "exit status 3" {
		t.Errorf("exit status %q", got)
	}
	if err := proc.signal(syscall.SIGTERM); err != nil {
		t.Errorf("signalling an exited process: %v", err)
	}
}

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	// The shell says when its trap is in place: a SIGTERM before that
	// ends it at once, which a fixed pause could not rule out on a
	// loaded machine.
	ready := filepath.Join(t.TempDir(), "trapped")
	proc := startChild(t, "trap '' TERM; : >"+ready+"; while :; do sleep 0.05; done")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell did not install its trap within 20s")
		}
	}
	began := time.Now()
	if err := proc.stop(300 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("stopped after %s, before the grace period", took)
	}
	if got := proc.exitStatus(); got != "signal: killed" {
		t.Errorf("exit status %q, want signal: killed", got)
	}
}

func TestReleaseLeavesTheProcessRunning(t *testing.T) {
	proc := startChild(t, "sleep 30")
	proc.release()
	if err := syscall.Kill(proc.pid, 0); err != nil {
		t.Fatalf("process gone after release: %v", err)
	}
	_ = syscall.Kill(proc.pid, syscall.SIGKILL)
	_ = proc.child.Wait()
}

func TestExitedProcess(t *testing.T) {
	proc := exitedProcess()
	if !proc.hasExited() || proc.exitStatus() != "unknown" {
		t.Fatal("exitedProcess must read as exited")
	}
	if err := proc.signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	proc.release()
}
