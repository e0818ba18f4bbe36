package framework

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NodeConfig describes a private node.
type NodeConfig struct {
	// PodCIDR is the node's pod address range, e.g. 10.61.1.0/24.
	PodCIDR string
	// CNIBinDir, when set, is where the node's containerd and its agents
	// find the CNI plugins, instead of the test bed's: a test that takes
	// a plugin away must not take it from every runtime on the machine.
	CNIBinDir string
	// ContainerdBinDir, when set, holds a containerd 2 build (containerd,
	// containerd-shim-runc-v2, ctr; test/testbed/build.sh containerd2) the
	// node runs instead of the PATH's containerd 1.6: for what only 2.x
	// does, such as image volumes.
	ContainerdBinDir string
}

// Node is a private "machine" for tests that must crash the runtime or run
// several nodes: its own network namespace and its own containerd (socket,
// root, state, runc root, CNI conf and data dirs, bridge), started from
// the same binaries as the test bed's. Nothing it runs reaches the host's
// network, so crashing it or changing its network cannot disturb the
// shared test bed; agents' APIs are forwarded to host loopback ports.
type Node struct {
	t testing.TB
	// Netns is the node's network namespace; its containerd, CNI plugins
	// and agents run inside it.
	Netns *Netns
	// PodCIDR and BridgeName are the node's pod network.
	PodCIDR    string
	BridgeName string
	// Dir holds everything of the node on disk: Socket, the config, the
	// containerd root and state, CNIConfDir and CNIDataDir.
	Dir        string
	Socket     string
	CNIConfDir string
	CNIDataDir string
	CNIBinDir  string
	LogFile    string
	// ContainerdBinDir is NodeConfig's: "" for containerd 1.6.
	ContainerdBinDir string

	containerd *exec.Cmd
	exited     chan struct{}
}

// StartNode creates the namespace and the directories,
// imports the test images into a fresh containerd and starts it. Everything
// is undone when the test ends, pass or fail: pods, containerd, shims it
// left, mounts, libcni cache entries and the namespace.
func StartNode(t testing.TB, cfg NodeConfig) *Node {
	t.Helper()
	requireRoot(t)
	env := LoadEnv(t)
	// Under /run, not t.TempDir(): unix socket paths must stay short.
	dir, err := os.MkdirTemp("/run", "mkn-")
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{
		t: t, PodCIDR: cfg.PodCIDR, Dir: dir,
		BridgeName: "mkn" + RandomHex(3),
		Socket:     filepath.Join(dir, "containerd.sock"),
		CNIConfDir: filepath.Join(dir, "net.d"),
		CNIDataDir: filepath.Join(dir, "cni-data"),
		CNIBinDir:  cfg.CNIBinDir,
		LogFile:    filepath.Join(dir, "containerd.log"),

		ContainerdBinDir: cfg.ContainerdBinDir,
	}
	if n.CNIBinDir == "" {
		n.CNIBinDir = env.CNIBinDir
	}
	Cleanup(t, "remove node directory "+dir, func(context.Context) error { return os.RemoveAll(dir) })
	n.Netns = NewNetns(t, "mkn-")
	if err := n.writeContainerdConfig(env); err != nil {
		t.Fatal(err)
	}
	Cleanup(t, "tear node "+n.Netns.Name+" down", n.teardown)
	n.StartContainerd()
	if err := n.importImages(env); err != nil {
		t.Fatal(err)
	}
	return n
}

// Endpoint is the node runtime's CRI endpoint.
func (n *Node) Endpoint() string { return "unix://" + n.Socket }

// Env is the test bed's Env pointed at this node: its runtime, CNI conf
// dir and pod network; images and tools stay the test bed's.
func (n *Node) Env() *Env {
	env := *LoadEnv(n.t)
	env.RuntimeEndpoint = n.Endpoint()
	env.CNIConfDir = n.CNIConfDir
	env.CNIBinDir = n.CNIBinDir
	env.PodCIDR = n.PodCIDR
	env.BridgeName = n.BridgeName
	// The node's containerd keeps libcni's cache where the host does, not
	// in the selected test bed runtime's own directory.
	env.CNICacheDir, env.CNIDataDir = "", n.CNIDataDir
	env.RuntimeLog = n.LogFile
	env.Runtime = n.runtimeName()
	env.privateNode = true
	env.TestbedRoot = n.Dir
	return &env
}

// NewAgent prepares an agent that runs inside the node's namespace against
// the node's runtime and pod network. Its API listens on a loopback port
// inside the namespace that is forwarded from the same port on the host's,
// so Agent's methods work unchanged. extraArgs come after the node's
// network flags and may override them.
func (n *Node) NewAgent(t testing.TB, extraArgs ...string) *Agent {
	t.Helper()
	// Before NewAgent, so the forward outlives the agent's teardown.
	listen := n.Netns.ForwardLoopback(t)
	args := append([]string{"--pod-cidr", n.PodCIDR, "--bridge-name", n.BridgeName, "--cni-data-dir", n.CNIDataDir}, extraArgs...)
	a := NewAgent(t, args...)
	a.Env = n.Env()
	a.Listen = listen
	wrapper, err := n.inNetnsWrapper(a.Binary)
	if err != nil {
		t.Fatal(err)
	}
	a.Binary = wrapper
	// Runs before the agent's own teardown, which needs the runtime to
	// remove its pods: a test may have failed with containerd killed.
	Cleanup(t, "start node containerd for the agent's teardown", func(context.Context) error {
		if !n.ContainerdRunning() {
			return n.startContainerd()
		}
		return nil
	})
	return a
}

// inNetnsWrapper writes a script that execs binary inside the node's
// namespace. nsenter execs too, so the agent keeps the script's PID and
// Agent.Signal reaches it.
func (n *Node) inNetnsWrapper(binary string) (string, error) {
	path := filepath.Join(n.Dir, "in-netns-"+filepath.Base(binary))
	script := fmt.Sprintf("#!/bin/sh\nexec nsenter --net=%s -- %s \"$@\"\n", n.Netns.Path(), binary)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("writing the in-namespace wrapper: %w", err)
	}
	return path, nil
}

// StartContainerd starts the node's containerd inside its namespace and
// waits until it serves CRI.
func (n *Node) StartContainerd() {
	n.t.Helper()
	if err := n.startContainerd(); err != nil {
		n.t.Fatal(err)
	}
}

func (n *Node) startContainerd() error {
	// A SIGKILLed containerd leaves its sockets; it refuses to start on them.
	for _, stale := range []string{n.Socket, n.Socket + ".ttrpc"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing stale socket: %w", err)
		}
	}
	log, err := os.OpenFile(n.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := n.Netns.Command(context.Background(), n.containerdBinary("containerd"), "--config", filepath.Join(n.Dir, "config.toml"))
	if n.ContainerdBinDir != "" {
		// containerd 2 finds its own programs on its PATH first.
		cmd.Env = append(os.Environ(), "PATH="+n.ContainerdBinDir+":"+os.Getenv("PATH"))
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Its own session, like up.sh's setsid: a signal to the test's process
	// group must not reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the node's containerd: %w", err)
	}
	n.containerd, n.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) { _ = cmd.Wait(); close(exited) }(n.exited)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, err := n.crictl("--timeout", "2s", "info"); err == nil {
			return nil
		}
		select {
		case <-n.exited:
			return fmt.Errorf("the node's containerd exited at start:\n%s", tail(readFile(n.LogFile), 30))
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the node's containerd did not serve CRI on %s within 30s:\n%s", n.Socket, tail(readFile(n.LogFile), 30))
}

// ContainerdRunning reports whether the node's containerd process lives.
func (n *Node) ContainerdRunning() bool {
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// KillContainerd SIGKILLs the node's containerd, as a crash would, and
// waits for it to be gone. Its shims and their containers live on.
func (n *Node) KillContainerd() {
	n.t.Helper()
	if err := n.stopContainerd(syscall.SIGKILL, 0); err != nil {
		n.t.Fatal(err)
	}
}

// stopContainerd sends sig and, after grace, SIGKILL.
func (n *Node) stopContainerd(sig syscall.Signal, grace time.Duration) error {
	if !n.ContainerdRunning() {
		return nil
	}
	_ = n.containerd.Process.Signal(sig)
	select {
	case <-n.exited:
		return nil
	case <-time.After(grace):
	}
	_ = n.containerd.Process.Kill()
	select {
	case <-n.exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the node's containerd (pid %d) outlived SIGKILL by 10s", n.containerd.Process.Pid)
	}
}

// Crictl runs crictl against the node's runtime from inside its namespace
// (exec and logs stream from containerd's loopback server there) and
// returns its stdout, failing the test if crictl fails.
func (n *Node) Crictl(t testing.TB, args ...string) string {
	t.Helper()
	stdout, stderr, err := n.crictl(args...)
	if err != nil {
		t.Fatalf("crictl %s on node %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), n.Netns.Name, err, stdout, stderr)
	}
	return stdout
}

func (n *Node) crictl(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), crictlTimeout)
	defer cancel()
	full := append([]string{"--runtime-endpoint", n.Endpoint(), "--image-endpoint", n.Endpoint(), "--timeout", "30s"}, args...)
	cmd := n.Netns.Command(ctx, LoadEnv(n.t).Crictl, full...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// Allocations returns the node's host-local allocations of network
// minikubelet, IP → container ID; the lock and last_reserved_ip files are
// not allocations.
func (n *Node) Allocations() (map[string]string, error) {
	dir := filepath.Join(n.CNIDataDir, "minikubelet")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing allocations: %w", err)
	}
	allocations := map[string]string{}
	for _, entry := range entries {
		if net.ParseIP(entry.Name()) == nil {
			continue
		}
		content, err := os.ReadFile(filepath.Join(dir, entry.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // released while listed
		}
		if err != nil {
			return nil, fmt.Errorf("reading allocation: %w", err)
		}
		owner, _, _ := strings.Cut(string(content), "\n")
		allocations[entry.Name()] = strings.TrimSpace(owner)
	}
	return allocations, nil
}

// SandboxIDs is the set of sandbox IDs the node's runtime lists, only the
// ready ones (those holding a network) if readyOnly.
func (n *Node) SandboxIDs(t testing.TB, readyOnly bool) map[string]bool {
	t.Helper()
	args := []string{"pods", "-q", "--no-trunc"}
	if readyOnly {
		args = append(args, "--state", "ready")
	}
	ids := map[string]bool{}
	for _, id := range strings.Fields(n.Crictl(t, args...)) {
		ids[id] = true
	}
	return ids
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("private nodes need root (network namespaces, containerd)")
	}
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}
