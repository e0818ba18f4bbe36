package managed

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// watchedProcess follows one process — a child the agent started or a
// containerd an earlier agent left running — through a pidfd, which
// (unlike a pid) cannot come to name another process after this one exits.
type watchedProcess struct {
	pid   int
	pidfd *os.File
	child *exec.Cmd // nil for an adopted process: not ours to reap
	// exited is closed once the process has ended (and, if a child, been
	// reaped).
	exited chan struct{}
}

// watchProcess opens a pidfd for pid and starts waiting for its exit.
func watchProcess(pid int, child *exec.Cmd) (*watchedProcess, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watching process %d: pidfd_open: %w", pid, err)
	}
	p := &watchedProcess{
		pid:    pid,
		pidfd:  os.NewFile(uintptr(fd), "pidfd:"+strconv.Itoa(pid)),
		child:  child,
		exited: make(chan struct{}),
	}
	go p.waitForExit()
	return p, nil
}

// exitedProcess stands for a process that is already gone, so a supervisor
// whose restart failed retries on its next turn.
func exitedProcess() *watchedProcess {
	p := &watchedProcess{exited: make(chan struct{})}
	close(p.exited)
	return p
}

// waitForExit closes p.exited when the process ends. A pidfd turns readable
// at exit; because it is non-blocking, os.File registers it with the
// runtime's poller, so the wait costs no thread and close() cancels it.
func (p *watchedProcess) waitForExit() {
	raw, err := p.pidfd.SyscallConn()
	if err != nil {
		return
	}
	err = raw.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(fds, 0)
		return n > 0
	})
	if err != nil {
		return // closed: we stopped watching
	}
	if p.child != nil {
		_ = p.child.Wait() // reap; the exit status stays in p.child.ProcessState
	}
	close(p.exited)
}

// hasExited reports whether the process has ended.
func (p *watchedProcess) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// exitStatus describes how a child ended; adopted processes say "unknown".
func (p *watchedProcess) exitStatus() string {
	if p.child == nil || p.child.ProcessState == nil {
		return "unknown"
	}
	return p.child.ProcessState.String()
}

// signal sends sig through the pidfd; a process that has exited is not an
// error.
func (p *watchedProcess) signal(sig syscall.Signal) error {
	if p.pidfd == nil {
		return nil
	}
	raw, err := p.pidfd.SyscallConn()
	if err != nil {
		return err
	}
	var sendErr error
	if err := raw.Control(func(fd uintptr) { sendErr = unix.PidfdSendSignal(int(fd), sig, nil, 0) }); err != nil {
		return err
	}
	if errors.Is(sendErr, unix.ESRCH) {
		return nil
	}
	return sendErr
}

// stop sends SIGTERM, waits up to grace for the exit, then SIGKILLs. Only
// a child can be waited for beyond that; an adopted process's exit is
// still seen through its pidfd.
func (p *watchedProcess) stop(grace time.Duration) error {
	if err := p.signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping process %d: %w", p.pid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(grace):
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing process %d: %w", p.pid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("process %d did not exit 5s after SIGKILL", p.pid)
	}
}

// release stops watching; the process itself is left alone.
func (p *watchedProcess) release() {
	if p.pidfd != nil {
		_ = p.pidfd.Close()
	}
}

// findProcessWithConfig returns the pid of a running `NAME --config PATH`
// whose executable is called name, or 0. The config path identifies the
// managed containerd of this root dir even after the agent that started it
// is gone, without a pid file that a reboot could leave pointing elsewhere.
func findProcessWithConfig(name, configPath string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("looking for a running %s: %w", name, err)
	}
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err != nil {
			continue // exited meanwhile, or a kernel thread
		}
		if commandUsesConfig(cmdline, name, configPath) {
			return pid, nil
		}
	}
	return 0, nil
}

// commandUsesConfig checks a NUL-separated /proc/PID/cmdline.
func commandUsesConfig(cmdline []byte, name, configPath string) bool {
	args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
	if len(args) < 2 || filepath.Base(string(args[0])) != name {
		return false
	}
	for i, arg := range args[1:] {
		if string(arg) == "--config="+configPath {
			return true
		}
		if string(arg) == "--config" && i+2 < len(args) && string(args[i+2]) == configPath {
			return true
		}
	}
	return false
}
