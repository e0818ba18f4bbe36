package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// Agent is a real minikubelet process driven by a test: its own manifest
// directory, root, log directory, API port and node name on the shared
// test bed runtime, so tests never see each other's pods.
type Agent struct {
	t           testing.TB
	Env         *Env
	Binary      string
	NodeName    string
	ManifestDir string
	RootDir     string
	PodLogDir   string
	Listen      string
	// KubeletPort is the node endpoint's port for the cluster's API
	// server (--kubelet-port), free, so agents that join a cluster do not
	// share the kubelet's 10250.
	KubeletPort string
	LogFile     string
	// CgroupParent is the agent's own cgroup parent, so the inventory
	// sees exactly its pod cgroups and teardown can check none is left.
	CgroupParent string
	ExtraArgs    []string

	cmd    *exec.Cmd
	done   chan struct{}
	access adminAccess
}

var (
	buildOnce   sync.Once
	builtBinary string
	buildErr    error
)

// AgentBinary builds cmd/minikubelet once per test process, unless
// MINIKUBELET_BIN names a binary already built (as `make e2e` does).
func AgentBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("MINIKUBELET_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "minikubelet-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBinary = filepath.Join(dir, "minikubelet")
		cmd := exec.Command("go", "build", "-o", builtBinary, "./cmd/minikubelet")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building minikubelet: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBinary
}

// NewAgent prepares (but does not start) an agent with fresh directories
// and registers its teardown: the agent is stopped and every pod it ran is
// removed, through the agent itself, so a failing test leaves nothing.
func NewAgent(t testing.TB, extraArgs ...string) *Agent {
	t.Helper()
	env := LoadEnv(t)
	base := t.TempDir()
	a := &Agent{
		t: t, Env: env, Binary: AgentBinary(t),
		NodeName:    UniqueName("node"),
		ManifestDir: filepath.Join(base, "manifests"),
		RootDir:     filepath.Join(base, "root"),
		PodLogDir:   filepath.Join(base, "pods"),
		Listen:      freeLoopbackAddr(t),
		KubeletPort: freePort(t),
		LogFile:     filepath.Join(base, "agent.log"),
		ExtraArgs:   extraArgs,
	}
	a.CgroupParent = "/minikubelet-e2e/" + a.NodeName
	if err := os.MkdirAll(a.ManifestDir, 0o755); err != nil {
		t.Fatal(err)
	}
	Cleanup(t, "remove the agent's pods", a.teardown)
	return a
}

// StartAgent is NewAgent followed by Start.
func StartAgent(t testing.TB, extraArgs ...string) *Agent {
	a := NewAgent(t, extraArgs...)
	a.Start()
	return a
}

// Start runs the agent and waits until its API answers.
func (a *Agent) Start() {
	a.t.Helper()
	a.Launch()
	a.WaitAPI(30 * time.Second)
}

// Launch runs the agent without waiting for its API, for tests of what it
// does before it serves (e.g. while its runtime is absent).
func (a *Agent) Launch() {
	a.t.Helper()
	logFile, err := os.OpenFile(a.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		a.t.Fatal(err)
	}
	a.cmd = exec.Command(a.Binary, a.runArgs()...)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	if err := a.cmd.Start(); err != nil {
		a.t.Fatalf("starting minikubelet: %v", err)
	}
	a.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}(a.cmd, a.done)
}

// WaitAPI waits until the launched agent's API answers, failing the test
// with its log if it exits first or timeout passes.
func (a *Agent) WaitAPI(timeout time.Duration) {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := a.Get(context.Background(), "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-a.done:
			a.t.Fatalf("minikubelet exited at start:\n%s", a.Logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	a.t.Fatalf("minikubelet API did not answer within %s:\n%s", timeout, a.Logs())
}

// Exited reports whether the launched agent has exited.
func (a *Agent) Exited() bool {
	if a.done == nil {
		return false
	}
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// runArgs are the agent's command line: its own directories and node,
// the test bed's runtime and network, then ExtraArgs, which may override.
func (a *Agent) runArgs() []string {
	return append([]string{"run",
		"--runtime-endpoint", a.Env.RuntimeEndpoint,
		"--manifest-dir", a.ManifestDir,
		"--root-dir", a.RootDir,
		"--pod-log-dir", a.PodLogDir,
		"--node-name", a.NodeName,
		"--listen", a.Listen,
		"--kubelet-port", a.KubeletPort,
		"--cni-conf-dir", a.Env.CNIConfDir,
		"--cni-bin-dir", a.Env.CNIBinDir,
		"--cgroup-parent", a.CgroupParent,
	}, append(a.Env.NetworkArgs(), a.ExtraArgs...)...)
}

// PID is the running agent's process id, or 0 when it is not running,
// for tests that read its /proc entries (memory, open files).
func (a *Agent) PID() int {
	if a.cmd == nil || a.cmd.Process == nil {
		return 0
	}
	return a.cmd.Process.Pid
}

// URL is the agent's API URL for path; an agent listening on every
// address is reached through loopback, which its certificate names.
func (a *Agent) URL(path string) string {
	host, port, err := net.SplitHostPort(a.Listen)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
		return "https://" + net.JoinHostPort("127.0.0.1", port) + path
	}
	return "https://" + a.Listen + path
}

// Logs returns what the agent has logged so far.
func (a *Agent) Logs() string {
	data, _ := os.ReadFile(a.LogFile)
	return string(data)
}

// Signal sends sig and waits for the agent to exit.
func (a *Agent) Signal(sig syscall.Signal) {
	a.t.Helper()
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	_ = a.cmd.Process.Signal(sig)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		a.t.Fatalf("minikubelet did not exit within 30s of %s", sig)
	}
	a.cmd = nil
}

// WriteManifest writes a manifest file atomically (temp file + rename).
func (a *Agent) WriteManifest(name, content string) string {
	a.t.Helper()
	path := filepath.Join(a.ManifestDir, name)
	tmp := filepath.Join(a.ManifestDir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		a.t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		a.t.Fatal(err)
	}
	return path
}

// RemoveManifest deletes a manifest file.
func (a *Agent) RemoveManifest(name string) {
	a.t.Helper()
	if err := os.Remove(filepath.Join(a.ManifestDir, name)); err != nil {
		a.t.Fatal(err)
	}
}

// Pods lists the agent's pods through its kubelet-style /pods endpoint.
func (a *Agent) Pods() ([]v1.Pod, error) {
	resp, err := a.Get(context.Background(), "/pods")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list v1.PodList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("decoding /pods: %w", err)
	}
	return list.Items, nil
}

// Pod returns the named pod in namespace default, or nil.
func (a *Agent) Pod(name string) *v1.Pod {
	pods, err := a.Pods()
	if err != nil {
		return nil
	}
	for i := range pods {
		if pods[i].Name == name && pods[i].Namespace == "default" {
			return &pods[i]
		}
	}
	return nil
}

// WaitPod polls the agent until cond holds for the named pod, failing the
// test with the pod and the agent's log after timeout.
func (a *Agent) WaitPod(name string, timeout time.Duration, what string, cond func(*v1.Pod) bool) *v1.Pod {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	var last *v1.Pod
	for time.Now().Before(deadline) {
		if last = a.Pod(name); last != nil && cond(last) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	dump, _ := json.MarshalIndent(last, "", "  ")
	a.t.Fatalf("pod %s: %s not reached within %s\nlast seen: %s\nagent log:\n%s", name, what, timeout, dump, tail(a.Logs(), 60))
	return nil
}

// Running reports a pod whose containers all run.
func Running(p *v1.Pod) bool {
	if p.Status.Phase != v1.PodRunning || len(p.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range p.Status.ContainerStatuses {
		if c.State.Running == nil {
			return false
		}
	}
	return true
}

// teardown empties the manifest directory, lets the agent remove its pods,
// then stops it; the runtime must hold nothing of this node afterwards.
func (a *Agent) teardown(ctx context.Context) error {
	entries, _ := os.ReadDir(a.ManifestDir)
	for _, e := range entries {
		_ = os.Remove(filepath.Join(a.ManifestDir, e.Name()))
	}
	if a.cmd == nil {
		a.Start()
	}
	selector := "io.minikubelet.node=" + a.NodeName
	var left string
	for ctx.Err() == nil {
		out, _, err := a.Env.runCrictl("pods", "-q", "--label", selector)
		// The agent removes a pod's files and cgroup after its sandbox:
		// stopped in between, it would leave them to its next start.
		pods, podsErr := a.Pods()
		if left = strings.TrimSpace(out); err == nil && left == "" && podsErr == nil && len(pods) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.Signal(syscall.SIGTERM)
	err := removeCgroupParent(a.CgroupParent)
	if left != "" {
		err = fmt.Errorf("node %s still has sandboxes after teardown: %s\nagent log:\n%s", a.NodeName, left, tail(a.Logs(), 40))
	}
	a.keepLogIfFailed(err)
	return err
}

// freePort is a TCP port free on every address.
func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func freeLoopbackAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// RunCrictl runs crictl and returns what it printed and how it ended, for
// tests that expect it to fail.
func (e *Env) RunCrictl(args ...string) (stdout, stderr string, err error) {
	return e.runCrictl(args...)
}

// keepLogIfFailed copies the log of a failed test's agent (or one whose
// teardown failed) out of the
// test's temporary directory, which is removed, into
// $TMPDIR/minikubelet-e2e-logs, and says where: the test's output holds
// only the tail.
func (a *Agent) keepLogIfFailed(teardownErr error) {
	if !a.t.Failed() && teardownErr == nil {
		return
	}
	data, err := os.ReadFile(a.LogFile)
	if err != nil {
		return
	}
	dir := filepath.Join(os.TempDir(), "minikubelet-e2e-logs")
	name := strings.NewReplacer("/", "_", " ", "_").Replace(a.t.Name()) + "-" + a.NodeName + ".log"
	if err := os.MkdirAll(dir, 0o755); err == nil && os.WriteFile(filepath.Join(dir, name), data, 0o644) == nil {
		a.t.Logf("the agent's whole log: %s", filepath.Join(dir, name))
	}
}
