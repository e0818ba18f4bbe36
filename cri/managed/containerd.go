package managed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/minikubelet/minikubelet/cri"
)

// Timing of the managed containerd's lifecycle.
const (
	containerdStartTimeout = 30 * time.Second
	containerdStopGrace    = 10 * time.Second
	firstRestartDelay      = time.Second
	maxRestartDelay        = 30 * time.Second
	// A containerd that ran this long before dying counts as having
	// worked: its restart starts the backoff over.
	healthyRunTime = time.Minute
	// containerd's log is trimmed (copied to .1, then truncated) past this
	// size; it is checked at start and every logCheckInterval.
	maxContainerdLogSize = 16 << 20
	logCheckInterval     = time.Minute
)

// installHint is what a machine without the runtime's packages needs.
const installHint = "apt-get install containerd runc containernetworking-plugins"

// NotInstalledError is Start's error when containerd or runc is missing;
// it names the packages that bring them.
type NotInstalledError struct{ message string }

func (e *NotInstalledError) Error() string { return e.message }

// Containerd is a containerd the agent started (or adopted from an
// earlier agent run) and keeps alive. It lives in its own session so that
// Ctrl-C or the agent's exit does not reach it: pods survive agent
// restarts, and the next agent adopts it through its config path.
type Containerd struct {
	paths      paths
	binary     string
	stopOnExit bool
	log        *slog.Logger

	proc      *watchedProcess
	startedAt time.Time

	// The sandbox image and, when it is the embedded one, its archive,
	// imported into containerd at start.
	sandboxImage string
	pauseArchive []byte
}

// findContainerd returns the containerd binary's path, after checking that
// runc, which containerd needs to run anything, is installed too.
func findContainerd() (string, error) {
	binary, err := exec.LookPath("containerd")
	if err != nil {
		return "", &NotInstalledError{fmt.Sprintf("containerd is not installed (not in PATH %s): install it with `%s`, or set --runtime-endpoint to a running CRI runtime", os.Getenv("PATH"), installHint)}
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return "", &NotInstalledError{fmt.Sprintf("runc is not installed (not in PATH %s), and containerd needs it to run containers: install it with `%s`", os.Getenv("PATH"), installHint)}
	}
	return binary, nil
}

// start adopts the managed containerd that already runs with this config
// (restarting it if the config changed or it does not answer), or starts a
// new one, and returns once its socket answers.
func (m *Containerd) start(ctx context.Context, config []byte, insecureRegistries []string) error {
	changed, err := writeFiles(m.paths, config, insecureRegistries)
	if err != nil {
		return err
	}
	pid, err := findProcessWithConfig("containerd", m.paths.Config)
	if err != nil {
		return err
	}
	if pid == 0 {
		if cri.Answers(ctx, m.paths.Socket) {
			return fmt.Errorf("%s is served by a process that is not this agent's managed containerd (none runs with --config %s): stop it, or give this agent another --run-dir", m.paths.Socket, m.paths.Config)
		}
		return m.launch(ctx)
	}
	proc, err := watchProcess(pid, nil)
	if err != nil {
		return err
	}
	if !changed {
		if err := waitForSocket(ctx, m.paths.Socket, proc, containerdStartTimeout); err == nil {
			m.proc, m.startedAt = proc, time.Now()
			m.log.Info("adopted the managed containerd left running by an earlier start", "pid", pid, "socket", m.paths.Socket, "log", m.paths.Log)
			return nil
		}
	}
	reason := "its config changed"
	if !changed {
		reason = "it does not answer"
	}
	m.log.Warn("restarting the managed containerd; running pods keep running", "pid", pid, "reason", reason)
	err = proc.stop(containerdStopGrace)
	proc.release()
	if err != nil {
		return fmt.Errorf("restarting the managed containerd (%s): %w", reason, err)
	}
	return m.launch(ctx)
}

// launch starts containerd in a new session, stdout and stderr appended to
// its log file, and waits for its socket. On failure nothing is left
// running and m.proc stands for an exited process — unless ctx ended, when
// the new containerd is kept for Release to stop or leave running.
func (m *Containerd) launch(ctx context.Context) error {
	m.proc = exitedProcess()
	m.trimLog()
	logFile, err := os.OpenFile(m.paths.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("opening the managed containerd's log: %w", err)
	}
	defer logFile.Close()
	for _, stale := range []string{m.paths.Socket, m.paths.TTRPC} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing the stale socket %s: %w", stale, err)
		}
	}
	cmd := exec.Command(m.binary, "--config", m.paths.Config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Setsid: no signal sent to the agent's terminal or process group (Ctrl-C)
	// reaches containerd, and it outlives the agent.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the managed containerd %s: %w", m.binary, err)
	}
	proc, err := watchProcess(cmd.Process.Pid, cmd)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	if err := waitForSocket(ctx, m.paths.Socket, proc, containerdStartTimeout); err != nil {
		if ctx.Err() != nil {
			// The agent is stopping: Release decides containerd's fate.
			m.proc, m.startedAt = proc, time.Now()
			return err
		}
		_ = proc.stop(time.Second)
		proc.release()
		return fmt.Errorf("the managed containerd (pid %d) %w; its log %s ends with:\n%s", cmd.Process.Pid, err, m.paths.Log, tailOfFile(m.paths.Log, 15))
	}
	m.proc, m.startedAt = proc, time.Now()
	m.log.Info("managed containerd started", "pid", cmd.Process.Pid, "socket", m.paths.Socket,
		"config", m.paths.Config, "log", m.paths.Log)
	return nil
}

// Supervise restarts the managed containerd with capped exponential backoff
// whenever it exits, and keeps its log bounded, until ctx ends. A nil
// receiver (no managed runtime) returns at once.
func (m *Containerd) Supervise(ctx context.Context) error {
	if m == nil {
		return nil
	}
	logCheck := time.NewTicker(logCheckInterval)
	defer logCheck.Stop()
	delay := firstRestartDelay
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-logCheck.C:
			m.trimLog()
		case <-m.proc.exited:
			if time.Since(m.startedAt) > healthyRunTime {
				delay = firstRestartDelay
			}
			m.log.Error("managed containerd exited; restarting it", "pid", m.proc.pid, "status", m.proc.exitStatus(),
				"in", delay, "log", m.paths.Log, "logTail", tailOfFile(m.paths.Log, 5))
			m.proc.release()
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(delay):
			}
			delay = min(2*delay, maxRestartDelay)
			if err := m.launch(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("restarting the managed containerd failed; will retry", "err", err)
			}
		}
	}
}

// Release runs when the agent exits: with Config.StopOnExit it stops
// containerd (pods' containers keep running under their shims); otherwise
// it leaves containerd running for the next start to adopt. A nil
// receiver (no managed runtime) does nothing.
func (m *Containerd) Release() {
	if m == nil || m.proc == nil {
		return
	}
	defer m.proc.release()
	if m.proc.hasExited() {
		return
	}
	if !m.stopOnExit {
		m.log.Info("leaving the managed containerd running for the next start", "pid", m.proc.pid, "socket", m.paths.Socket)
		return
	}
	if err := m.proc.stop(containerdStopGrace); err != nil {
		m.log.Error("stopping the managed containerd", "err", err)
		return
	}
	m.log.Info("managed containerd stopped (--stop-runtime-on-exit)", "pid", m.proc.pid)
}

// trimLog keeps the containerd log under maxContainerdLogSize: the old
// content moves to LOG.1 and the live file is truncated in place, which is
// safe because containerd writes it with O_APPEND.
func (m *Containerd) trimLog() {
	info, err := os.Stat(m.paths.Log)
	if err != nil || info.Size() < maxContainerdLogSize {
		return
	}
	if err := copyFile(m.paths.Log, m.paths.Log+".1"); err != nil {
		m.log.Warn("trimming the managed containerd's log", "err", err)
		return
	}
	if err := os.Truncate(m.paths.Log, 0); err != nil {
		m.log.Warn("trimming the managed containerd's log", "err", err)
	}
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// waitForSocket polls until the socket accepts a connection, the process
// exits, timeout passes or ctx ends.
func waitForSocket(ctx context.Context, socket string, proc *watchedProcess, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cri.Answers(ctx, socket) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("was not answering on %s when the agent stopped: %w", socket, ctx.Err())
		case <-proc.exited:
			return fmt.Errorf("exited (%s) before answering on %s", proc.exitStatus(), socket)
		case <-deadline.C:
			return fmt.Errorf("did not answer on %s within %s", socket, timeout)
		case <-tick.C:
		}
	}
	return nil
}

// tailOfFile returns up to the last n lines of a file (read from its last
// 64 KiB), for error messages.
func tailOfFile(path string, n int) string {
	file, err := os.Open(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer file.Close()
	const window = 64 << 10
	if info, err := file.Stat(); err == nil && info.Size() > window {
		_, _ = file.Seek(-window, io.SeekEnd)
	}
	data, err := io.ReadAll(file)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
