package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type agentProcess struct {
	cmd       *exec.Cmd
	manifests string
	node      string
	logPath   string
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

func startAgent(bin string, env map[string]string, work string) (*agentProcess, error) {
	endpoint := env["RUNTIME_ENDPOINT"]
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	a := &agentProcess{
		manifests: filepath.Join(work, "manifests"),
		node:      fmt.Sprintf("bench-%d", os.Getpid()),
		logPath:   filepath.Join(work, "agent.log"),
	}
	if err := os.MkdirAll(a.manifests, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(a.logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"run", "--runtime-endpoint", endpoint, "--manifest-dir", a.manifests,
		"--root-dir", filepath.Join(work, "root"), "--pod-log-dir", filepath.Join(work, "pods"),
		"--node-name", a.node, "--listen", addr}, networkFlags(env)...)
	a.cmd = exec.Command(bin, args...)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	if err := a.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w (run `make build`)", bin, err)
	}
	for i := 0; i < 200; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return a, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("agent did not start:\n%s", a.logTail())
}

func (a *agentProcess) stop() {
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	_, _ = a.cmd.Process.Wait()
}

func (a *agentProcess) logTail() string {
	data, _ := os.ReadFile(a.logPath)
	lines := strings.Split(string(data), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// footprint samples the agent's resident memory and its CPU use (user +
// system, as a percentage of one core) over the given window.
func (a *agentProcess) footprint(window time.Duration) (rssMiB, anonMiB, cpuPercent float64, err error) {
	pid := a.cmd.Process.Pid
	before, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, 0, err
	}
	time.Sleep(window)
	after, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, 0, err
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	cpuPercent = float64(after-before) / ticksPerSecond / window.Seconds() * 100
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	// VmRSS counts the binary's mapped pages too; RssAnon is what the
	// agent allocated itself.
	for _, line := range strings.Split(string(status), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rssMiB = kb / 1024
		case "RssAnon:":
			anonMiB = kb / 1024
		}
	}
	return rssMiB, anonMiB, cpuPercent, nil
}

func cpuTicks(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseUint(fields[11], 10, 64)
	stime, _ := strconv.ParseUint(fields[12], 10, 64)
	return utime + stime, nil
}
