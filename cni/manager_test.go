package cni

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// fakeHost records ensure calls and can report changes or fail.
type fakeHost struct {
	mu      sync.Mutex
	ensures int
	changed bool
	err     error
}

func (f *fakeHost) name() string { return "fake host setup" }

func (f *fakeHost) ensure(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ensures++
	return f.changed, f.err
}

func (f *fakeHost) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ensures
}

type managerFixture struct {
	manager *Manager
	exec    *fakeExec
	host    *fakeHost
	bridge  *fakeBridge
	confDir string
	repairs atomic.Int32
	logs    *testutil.SyncBuffer
}

func newManagerFixture(t *testing.T, interval time.Duration) *managerFixture {
	t.Helper()
	root := t.TempDir()
	logger, logs := newTestLogger(t)
	f := &managerFixture{host: &fakeHost{}, confDir: filepath.Join(root, "net.d"), logs: logs}
	f.exec = newFakeExec(filepath.Join(root, "networks", NetworkName))
	cfg := Config{
		ConfDir:       f.confDir,
		DataDir:       filepath.Join(root, "networks"),
		CacheDir:      filepath.Join(root, "cache"),
		CheckInterval: interval,
		Logger:        logger,
		OnRepair:      func() { f.repairs.Add(1) },
	}
	f.bridge = &fakeBridge{}
	manager, err := newManager(cfg, &fakeSandboxes{}, deps{
		exec:   f.exec,
		hosts:  func(network) []hostSetup { return []hostSetup{f.host} },
		bridge: f.bridge,
		now:    time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.manager = manager
	return f
}

func TestNewRejectsBadConfigWithFlagHint(t *testing.T) {
	_, err := New(Config{PodCIDR: "10.88.0.0/33"}, &fakeSandboxes{})
	if err == nil || !strings.Contains(err.Error(), "--pod-cidr") {
		t.Fatalf("got %v", err)
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Fatal("want an error without a sandbox lister")
	}
}

func TestSetupWritesConflistAndInstallsHostState(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	if err := f.manager.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(f.confDir, ConfFileName))
	if err != nil || string(got) != string(f.manager.Conflist()) {
		t.Fatalf("conflist not written: %v", err)
	}
	if f.host.count() != 1 {
		t.Fatalf("host setup ensured %d times", f.host.count())
	}
	if f.repairs.Load() != 0 {
		t.Fatal("first write counted as a repair")
	}
}

func TestSetupWritesNothingWhenPluginMissing(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	f.exec.installed = []string{"host-local", "portmap"}
	err := f.manager.Setup(context.Background())
	var notFound *PluginNotFoundError
	if !errors.As(err, &notFound) || notFound.Plugin != "bridge" {
		t.Fatalf("got %v", err)
	}
	if exists(filepath.Join(f.confDir, ConfFileName)) {
		t.Fatal("a conflist the runtime cannot execute was written")
	}
}

func TestSetupFailsWhenHostSetupFails(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	f.host.err = errors.New("iptables is not installed")
	err := f.manager.Setup(context.Background())
	if err == nil || !strings.Contains(err.Error(), "installing fake host setup: iptables is not installed") {
		t.Fatalf("got %v", err)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunRepairsDeletedAndReplacedConflist(t *testing.T) {
	f := newManagerFixture(t, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.manager.Run(ctx) }()
	path := filepath.Join(f.confDir, ConfFileName)
	want := string(f.manager.Conflist())
	intact := func() bool { got, err := os.ReadFile(path); return err == nil && string(got) == want }
	waitFor(t, "initial conflist", intact)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deleted conflist to be rewritten", intact)
	waitFor(t, "first repair counted", func() bool { return f.repairs.Load() == 1 })

	wrong := strings.Replace(want, "10.88.0.0/16", "10.99.0.0/16", 1)
	if err := os.WriteFile(path, []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replaced conflist to be rewritten", intact)
	waitFor(t, "second repair counted", func() bool { return f.repairs.Load() == 2 })

	// An intact file is left alone: no further repairs over several intervals.
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	if n := f.repairs.Load(); n != 2 {
		t.Fatalf("%d repairs, want 2", n)
	}
	if n := f.logs.Count("repaired CNI config"); n != 2 {
		t.Fatalf("%d repair log lines, want 2:\n%s", n, f.logs)
	}
	if f.host.count() < 3 {
		t.Fatalf("host state checked %d times; the loop must keep checking it", f.host.count())
	}
}

func TestRunStopsOnCancelAndReturnsSetupError(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	f.exec.installed = nil
	if err := f.manager.Run(context.Background()); err == nil {
		t.Fatal("Run must return Setup's error")
	}

	f = newManagerFixture(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.manager.Run(ctx) }()
	waitFor(t, "setup", func() bool { return f.host.count() == 1 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

func TestWarnsOnceAboutEarlierConflist(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	if err := os.MkdirAll(f.confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.confDir, "05-docker.conflist"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.confDir, "99-loopback.conf"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.manager.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.manager.check(context.Background())
	}
	if n := f.logs.Count("sorts before ours"); n != 1 {
		t.Fatalf("%d warnings, want exactly 1:\n%s", n, f.logs)
	}
	if !strings.Contains(f.logs.String(), "05-docker.conflist") || strings.Contains(f.logs.String(), "99-loopback") {
		t.Fatalf("warning names the wrong file:\n%s", f.logs)
	}
	// Other files are left alone.
	if !exists(filepath.Join(f.confDir, "05-docker.conflist")) || !exists(filepath.Join(f.confDir, "99-loopback.conf")) {
		t.Fatal("another config was removed")
	}
}

func TestCheckLogsHostRepairs(t *testing.T) {
	f := newManagerFixture(t, time.Hour)
	if err := f.manager.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.host.changed = true
	f.manager.check(context.Background())
	f.host.changed, f.host.err = false, errors.New("netlink: permission denied")
	f.manager.check(context.Background())
	if f.logs.Count("repaired fake host setup") != 1 || f.logs.Count("checking fake host setup failed") != 1 {
		t.Fatalf("logs:\n%s", f.logs)
	}
}
