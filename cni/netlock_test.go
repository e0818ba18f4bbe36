package cni

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func holder(node, endpoint string) NetworkHolder {
	return NetworkHolder{Node: node, PID: 4242, RootDir: "/var/lib/" + node, RuntimeEndpoint: endpoint,
		Bridge: "mkbr0", PodCIDR: "10.88.0.0/16"}
}

func TestAgentsOfOneRuntimeShareTheNetwork(t *testing.T) {
	dir := t.TempDir()
	first, err := LockNetwork(dir, holder("a", "unix:///run/containerd/containerd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	second, err := LockNetwork(dir, holder("b", "/run/containerd/containerd.sock"))
	if err != nil {
		t.Fatalf("a second agent of the same runtime was refused: %v", err)
	}
	second.Release()
}

func TestAnAgentOfAnotherRuntimeIsRefusedNamingTheHolder(t *testing.T) {
	dir := t.TempDir()
	first, err := LockNetwork(dir, holder("testbed-node", "unix:///run/minikubelet-testbed/containerd/containerd.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	_, err = LockNetwork(dir, holder("make-run", "unix:///run/minikubelet/containerd.sock"))
	var inUse *NetworkInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("an agent of another runtime got %v, want a NetworkInUseError", err)
	}
	for _, want := range []string{`node "testbed-node"`, "pid 4242", "root dir /var/lib/testbed-node",
		"unix:///run/minikubelet-testbed/containerd/containerd.sock", "unix:///run/minikubelet/containerd.sock",
		"--bridge-name", "--pod-cidr", "--cni-data-dir", "--cni-cache-dir", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %s", want, err)
		}
	}
}

// TestNetworkLockEndsWithItsHolder: a released lock, and one whose agent
// died without releasing it (its file left, its flock gone with the
// process), let an agent of another runtime in; the stale file is removed.
func TestNetworkLockEndsWithItsHolder(t *testing.T) {
	dir := t.TempDir()
	released, err := LockNetwork(dir, holder("a", "unix:///a.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := released.Release(); err != nil {
		t.Fatal(err)
	}
	crashed, err := LockNetwork(dir, holder("b", "unix:///b.sock"))
	if err != nil {
		t.Fatalf("a released lock still refuses: %v", err)
	}
	stale := crashed.file.Name()
	crashed.file.Close() // what the kernel does when the process dies
	crashed.file = nil
	after, err := LockNetwork(dir, holder("c", "unix:///c.sock"))
	if err != nil {
		t.Fatalf("the lock of a dead agent still refuses: %v", err)
	}
	defer after.Release()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead agent's lock file %s was not removed: %v", stale, err)
	}
}

func TestSameRuntimeComparesSockets(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("run", filepath.Join(dir, "var-run")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"unix:///run/crio/crio.sock", "/run/crio/crio.sock", true},
		{"unix:///run/crio//crio.sock", "unix:///run/crio/crio.sock", true},
		{"unix://" + dir + "/var-run/crio.sock", "unix://" + dir + "/run/crio.sock", true},
		{"unix:///run/containerd/containerd.sock", "unix:///run/minikubelet/containerd.sock", false},
	} {
		if got := sameRuntime(tc.a, tc.b); got != tc.want {
			t.Errorf("sameRuntime(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
