package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// agentProcess is one minikubelet run by the bench: its own manifest,
// root and log directories, node name and cgroup parent on the test bed's
// runtime, so its pods are told apart from anyone else's.
type agentProcess struct {
	cmd       *exec.Cmd
	done      chan struct{} // closed when the process has exited
	manifests string
	root      string
	node      string
	cgroup    string
	logPath   string
	client    *agentClient
}

// networkFlags point the agent at the test bed runtime's own CNI settings,
// as the e2e framework does, so the bench never writes /etc/cni/net.d.
func networkFlags(env map[string]string) []string {
	var args []string
	for _, f := range []struct{ flag, key string }{
		{"--cni-conf-dir", "CNI_CONF_DIR"}, {"--cni-bin-dir", "CNI_BIN_DIR"}, {"--pod-cidr", "POD_CIDR"},
		{"--bridge-name", "BRIDGE_NAME"}, {"--cni-cache-dir", "CNI_CACHE_DIR"}, {"--cni-data-dir", "CNI_DATA_DIR"},
	} {
		if v := env[f.key]; v != "" {
			args = append(args, f.flag, v)
		}
	}
	return args
}

// startAgent runs a fresh agent in work/name and waits until its API
// answers as the administrator.
func startAgent(ctx context.Context, bin string, env map[string]string, work, node string, extraArgs ...string) (*agentProcess, error) {
	dir := filepath.Join(work, node)
	a := &agentProcess{
		done:      make(chan struct{}),
		manifests: filepath.Join(dir, "manifests"),
		root:      filepath.Join(dir, "root"),
		node:      node,
		cgroup:    "/minikubelet-bench/" + node,
		logPath:   filepath.Join(dir, "agent.log"),
	}
	if err := os.MkdirAll(a.manifests, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(a.logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"run", "--runtime-endpoint", env["RUNTIME_ENDPOINT"], "--manifest-dir", a.manifests,
		"--root-dir", a.root, "--pod-log-dir", filepath.Join(dir, "pods"), "--node-name", node,
		"--listen", addr, "--cgroup-parent", a.cgroup}, append(networkFlags(env), extraArgs...)...)
	a.cmd = exec.Command(bin, args...)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	if err := a.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w (run `make build` first, or pass -agent)", bin, err)
	}
	go func() {
		_ = a.cmd.Wait()
		logFile.Close()
		close(a.done)
	}()
	if err := a.waitAPI(ctx, 30*time.Second); err != nil {
		a.stop()
		return nil, fmt.Errorf("%w\nagent log (%s):\n%s", err, a.logPath, a.logTail())
	}
	return a, nil
}

// waitAPI waits for the admin kubeconfig and a 200 from /healthz.
func (a *agentProcess) waitAPI(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if a.client == nil {
			a.client, last = newAgentClient(filepath.Join(a.root, "admin.kubeconfig"))
		}
		if a.client != nil {
			if _, last = a.client.get(ctx, "/healthz", "*/*"); last == nil {
				return nil
			}
		}
		select {
		case <-a.done:
			return fmt.Errorf("the agent exited at start")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the agent's API did not answer within %s: %v", timeout, last)
}

func (a *agentProcess) pid() int { return a.cmd.Process.Pid }

// stop sends SIGTERM and, after 30 s, SIGKILL. Pods stay in the runtime,
// as the kubelet leaves them: remove the manifests first.
func (a *agentProcess) stop() {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.done
	}
}

func (a *agentProcess) logTail() string {
	data, _ := os.ReadFile(a.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port for the agent's API: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
