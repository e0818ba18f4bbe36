package managed

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minikubelet/minikubelet/cri"
)

// TestMain lets the test binary play containerd: invoked under that name
// (through a symlink in PATH) it serves the gRPC socket its config names,
// which is all the supervisor looks at.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "containerd" {
		os.Exit(fakeContainerd(os.Args[1:]))
	}
	os.Exit(m.Run())
}

var grpcAddress = regexp.MustCompile(`(?m)^\[grpc\]\n\s*address = "([^"]*)"`)

func fakeContainerd(args []string) int {
	if len(args) != 2 || args[0] != "--config" {
		fmt.Fprintln(os.Stderr, "fake containerd: want --config FILE, got", args)
		return 2
	}
	if message := os.Getenv("FAKE_CONTAINERD_FAIL"); message != "" {
		fmt.Fprintln(os.Stderr, message)
		return 1
	}
	config, err := os.ReadFile(args[1])
	match := grpcAddress.FindSubmatch(config)
	if err != nil || match == nil {
		fmt.Fprintln(os.Stderr, "fake containerd: no [grpc] address in", args[1], err)
		return 2
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	listener, err := net.Listen("unix", string(match[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake containerd:", err)
		return 1
	}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	<-stop
	listener.Close()
	return 0
}

// fakeRuntimePath puts the fake containerd and a stand-in runc first in PATH.
func fakeRuntimePath(t *testing.T) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "containerd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/bin/true", filepath.Join(bin, "runc")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
}

func newTestManaged(t *testing.T, p paths) *Containerd {
	t.Helper()
	binary, err := findContainerd()
	if err != nil {
		t.Fatal(err)
	}
	return &Containerd{paths: p, binary: binary, log: slog.New(slog.DiscardHandler)}
}

// stopManaged makes sure no fake containerd of this test outlives it.
func stopManaged(t *testing.T, p paths) {
	t.Cleanup(func() {
		pid, _ := findProcessWithConfig("containerd", p.Config)
		if pid == 0 {
			return
		}
		if proc, err := watchProcess(pid, nil); err == nil {
			_ = proc.stop(2 * time.Second)
			proc.release()
		}
	})
}

func waitForPID(t *testing.T, p paths, not int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		pid, err := findProcessWithConfig("containerd", p.Config)
		if err != nil {
			t.Fatal(err)
		}
		if pid != 0 && pid != not && cri.Answers(context.Background(), p.Socket) {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no managed containerd (other than pid %d) answering on %s", not, p.Socket)
	return 0
}

func TestManagedContainerdOutlivesTheAgentAndIsAdopted(t *testing.T) {
	fakeRuntimePath(t)
	p := newPaths(testConfig(t))
	stopManaged(t, p)
	ctx := context.Background()
	config := []byte(fmt.Sprintf("[grpc]\n  address = %q\n", p.Socket))

	first := newTestManaged(t, p)
	if err := first.start(ctx, config, nil); err != nil {
		t.Fatal(err)
	}
	pid := first.proc.pid
	if sid, _ := unix.Getsid(pid); sid != pid {
		t.Errorf("containerd runs in session %d, not its own: Ctrl-C on the agent would reach it", sid)
	}
	first.Release() // the agent exits; containerd must stay
	if !cri.Answers(context.Background(), p.Socket) {
		t.Fatal("containerd stopped answering when the agent exited")
	}

	second := newTestManaged(t, p)
	if err := second.start(ctx, config, nil); err != nil {
		t.Fatal(err)
	}
	if second.proc.pid != pid || second.proc.child != nil {
		t.Fatalf("second start runs pid %d (child %v), want pid %d adopted", second.proc.pid, second.proc.child != nil, pid)
	}
	second.Release()

	changed := newTestManaged(t, p)
	if err := changed.start(ctx, append(config, "# changed\n"...), nil); err != nil {
		t.Fatal(err)
	}
	if changed.proc.pid == pid {
		t.Fatal("a changed config did not restart containerd")
	}
	changed.stopOnExit = true
	changed.Release()
	if cri.Answers(context.Background(), p.Socket) {
		t.Fatal("containerd still answers after release with stopOnExit")
	}
}

func TestSuperviseRestartsAContainerdThatDies(t *testing.T) {
	fakeRuntimePath(t)
	p := newPaths(testConfig(t))
	stopManaged(t, p)
	config := []byte(fmt.Sprintf("[grpc]\n  address = %q\n", p.Socket))
	m := newTestManaged(t, p)
	if err := m.start(context.Background(), config, nil); err != nil {
		t.Fatal(err)
	}
	first := m.proc.pid

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Supervise(ctx) }()
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	second := waitForPID(t, p, first)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Supervise: %v", err)
	}
	if m.proc.pid != second {
		t.Errorf("supervisor follows pid %d, containerd runs as %d", m.proc.pid, second)
	}
	m.stopOnExit = true
	m.Release()
}

func TestStartRefusesASocketServedBySomeoneElse(t *testing.T) {
	fakeRuntimePath(t)
	p := newPaths(testConfig(t))
	if err := os.MkdirAll(filepath.Dir(p.Socket), 0o755); err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("unix", p.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	err = newTestManaged(t, p).start(context.Background(), []byte("x"), nil)
	if err == nil || !strings.Contains(err.Error(), "not this agent's managed containerd") || !strings.Contains(err.Error(), "--run-dir") {
		t.Fatalf("error %v, want one naming the foreign socket and --run-dir", err)
	}
}

func TestLaunchFailureShowsContainerdsLog(t *testing.T) {
	fakeRuntimePath(t)
	t.Setenv("FAKE_CONTAINERD_FAIL", "containerd: invalid plugin config")
	p := newPaths(testConfig(t))
	err := newTestManaged(t, p).start(context.Background(), []byte("x"), nil)
	for _, want := range []string{"exited (exit status 1) before answering", "containerd: invalid plugin config", p.Log} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestMissingContainerdNamesThePackages(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findContainerd()
	if err == nil || !strings.Contains(err.Error(), "apt-get install containerd runc containernetworking-plugins") {
		t.Fatalf("error %v, want the apt-get command", err)
	}
}

func TestTrimLogKeepsItBounded(t *testing.T) {
	p := newPaths(testConfig(t))
	if err := os.MkdirAll(filepath.Dir(p.Log), 0o755); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, maxContainerdLogSize+1)
	if err := os.WriteFile(p.Log, big, 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Containerd{paths: p, log: slog.New(slog.DiscardHandler)}
	m.trimLog()
	if info, err := os.Stat(p.Log); err != nil || info.Size() != 0 {
		t.Fatalf("live log not truncated: %v %v", info, err)
	}
	if info, err := os.Stat(p.Log + ".1"); err != nil || info.Size() != int64(len(big)) {
		t.Fatalf("old content not kept in .1: %v %v", info, err)
	}
}
