package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
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
	LogFile     string
	ExtraArgs   []string

	cmd  *exec.Cmd
	done chan struct{}
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
		LogFile:     filepath.Join(base, "agent.log"),
		ExtraArgs:   extraArgs,
	}
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
	logFile, err := os.OpenFile(a.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		a.t.Fatal(err)
	}
	args := append([]string{"run",
		"--runtime-endpoint", a.Env.RuntimeEndpoint,
		"--manifest-dir", a.ManifestDir,
		"--root-dir", a.RootDir,
		"--pod-log-dir", a.PodLogDir,
		"--node-name", a.NodeName,
		"--listen", a.Listen,
		"--cni-conf-dir", a.Env.CNIConfDir,
		"--cni-bin-dir", a.Env.CNIBinDir,
	}, append(a.Env.NetworkArgs(), a.ExtraArgs...)...)
	a.cmd = exec.Command(a.Binary, args...)
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
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(a.URL("/healthz")); err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-a.done:
			a.t.Fatalf("minikubelet exited at start:\n%s", a.Logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	a.t.Fatalf("minikubelet API did not answer within 30s:\n%s", a.Logs())
}

// URL is the agent's API URL for path.
func (a *Agent) URL(path string) string { return "http://" + a.Listen + path }

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
	resp, err := http.Get(a.URL("/pods"))
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
		if left = strings.TrimSpace(out); err == nil && left == "" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.Signal(syscall.SIGTERM)
	if left != "" {
		return fmt.Errorf("node %s still has sandboxes after teardown: %s\nagent log:\n%s", a.NodeName, left, tail(a.Logs(), 40))
	}
	return nil
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
