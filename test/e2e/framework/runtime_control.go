package framework

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runtimeScriptTimeout bounds one run of test/testbed/runtime.sh: a stop
// waits up to 10 s for SIGTERM, a start up to 30 s for the socket.
const runtimeScriptTimeout = 2 * time.Minute

// KillRuntime SIGKILLs the test bed's runtime, as a crash would: its shims
// and containers live on. The runtime is SHARED by every test on the
// machine; only chaos tests call this. It is started again when the test
// ends, whatever happens before.
func (e *Env) KillRuntime(t testing.TB) {
	t.Helper()
	e.controlRuntime(t, "kill")
}

// StopRuntime stops the test bed's runtime with SIGTERM (SIGKILL after
// 10 s), as `systemctl stop` would; it too is started again when the test
// ends.
func (e *Env) StopRuntime(t testing.TB) {
	t.Helper()
	e.controlRuntime(t, "stop")
}

// StartRuntime starts the test bed's runtime again from its config and
// waits until it serves CRI; a runtime that answers is left alone.
func (e *Env) StartRuntime(t testing.TB) {
	t.Helper()
	if err := e.runRuntimeScript(context.Background(), "start"); err != nil {
		t.Fatal(err)
	}
}

// RuntimePID is the pid of the test bed's runtime daemon, 0 when it does
// not run.
func (e *Env) RuntimePID(t testing.TB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runtimeScriptTimeout)
	defer cancel()
	out, err := e.runtimeScript(ctx, "pid").Output()
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("runtime.sh pid printed %q", out)
	}
	return pid
}

// KillAgentAndRuntime SIGKILLs the agent and the test bed's runtime in the
// same instant, as a power cut would, and waits until both are gone. The
// runtime is started again when the test ends; the agent is the test's to
// start.
func KillAgentAndRuntime(t testing.TB, a *Agent) {
	t.Helper()
	e := a.Env
	if e.privateNode {
		t.Fatalf("this agent runs on a private node; use Node.KillContainerd")
	}
	Cleanup(t, "start the test bed's runtime again", func(ctx context.Context) error {
		return e.runRuntimeScript(ctx, "start")
	})
	runtimePID, agentPID := e.RuntimePID(t), a.PID()
	if runtimePID == 0 || agentPID == 0 {
		t.Fatalf("cannot kill both: runtime pid %d, agent pid %d", runtimePID, agentPID)
	}
	// Back to back, microseconds apart: neither sees the other go first.
	_ = syscall.Kill(runtimePID, syscall.SIGKILL)
	_ = syscall.Kill(agentPID, syscall.SIGKILL)
	a.Signal(syscall.SIGKILL) // waits for the agent's exit
	WaitUntil(t, 10*time.Second, "the killed runtime to exit", func() bool { return !processLives(runtimePID) })
}

// processLives reports whether pid runs (a zombie, dead but not yet reaped
// by its parent, does not).
func processLives(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

func (e *Env) controlRuntime(t testing.TB, action string) {
	t.Helper()
	if e.privateNode {
		t.Fatalf("this Env is a private node's; use Node.KillContainerd and Node.StartContainerd")
	}
	// Registered before acting: a kill that fails halfway must still not
	// leave the shared runtime down.
	Cleanup(t, "start the test bed's runtime again", func(ctx context.Context) error {
		return e.runRuntimeScript(ctx, "start")
	})
	if err := e.runRuntimeScript(context.Background(), action); err != nil {
		t.Fatal(err)
	}
}

func (e *Env) runRuntimeScript(ctx context.Context, action string) error {
	ctx, cancel := context.WithTimeout(ctx, runtimeScriptTimeout)
	defer cancel()
	out, err := e.runtimeScript(ctx, action).CombinedOutput()
	if err != nil {
		return fmt.Errorf("test/testbed/runtime.sh %s %s: %v\n%s", action, e.runtimeName(), err, out)
	}
	return nil
}

// runtimeScript is test/testbed/runtime.sh ACTION RUNTIME for this Env.
func (e *Env) runtimeScript(ctx context.Context, action string) *exec.Cmd {
	root, err := RepoRoot()
	if err != nil {
		root = "."
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "test/testbed/runtime.sh"), action, e.runtimeName())
	if e.TestbedRoot != "" {
		cmd.Env = append(cmd.Environ(), "TESTBED_ROOT="+e.TestbedRoot)
	}
	return cmd
}

// runtimeName is the test bed's name of the Env's runtime; env files from
// before the runtime matrix are containerd 1.6's.
func (e *Env) runtimeName() string {
	if e.Runtime == "" {
		return Runtimes[0]
	}
	return e.Runtime
}
