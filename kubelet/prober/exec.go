package prober

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/minikubelet/minikubelet/cri"
)

// Runtime runs commands in containers; *cri.Client implements it. A
// command that exits non-zero is reported as *cri.ExitError.
type Runtime interface {
	ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) (stdout, stderr []byte, err error)
}

// commandError says why a command in a container did not succeed.
type commandError struct {
	cmd      []string
	exitCode int32         // set when the command ran and exited non-zero
	timeout  time.Duration // set when the command ran out of time
	err      error         // the runtime's error otherwise
}

func (e *commandError) Error() string {
	switch {
	case e.exitCode != 0:
		return fmt.Sprintf("command %q exited with code %d", e.cmd, e.exitCode)
	case e.timeout > 0:
		return fmt.Sprintf("command %q timed out after %s", e.cmd, e.timeout)
	default:
		return fmt.Sprintf("running command %q: %v", e.cmd, e.err)
	}
}

func (e *commandError) Unwrap() error { return e.err }

// ran reports whether the command ran and failed on its own terms (non-zero
// exit or time out), as opposed to the runtime failing to run it.
func (e *commandError) ran() bool { return e.exitCode != 0 || e.timeout > 0 }

// runCommand runs cmd in the container and returns its combined output.
func runCommand(ctx context.Context, rt Runtime, containerID string, cmd []string, timeout time.Duration) (string, error) {
	if len(cmd) == 0 {
		return "", &commandError{cmd: cmd, err: errors.New("the command is empty: give exec.command at least the program to run")}
	}
	stdout, stderr, err := rt.ExecSync(ctx, containerID, cmd, timeout)
	output := truncate(strings.TrimSpace(string(stdout) + string(stderr)))
	var exit *cri.ExitError
	switch {
	case err == nil:
		return output, nil
	case errors.As(err, &exit):
		return output, &commandError{cmd: cmd, exitCode: exit.ExitCode, err: err}
	case timeout > 0 && timedOut(err):
		return output, &commandError{cmd: cmd, timeout: timeout, err: err}
	default:
		return output, &commandError{cmd: cmd, err: err}
	}
}

// timedOut recognises the runtime's report of a command that outlived its
// timeout, which containerd sends as DeadlineExceeded.
func timedOut(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded
}

// probeExec runs an exec probe: exit 0 succeeds, any other exit or a time
// out fails, and a runtime that cannot run the command gives Unknown.
func probeExec(ctx context.Context, rt Runtime, t target, cmd []string, timeout time.Duration) outcome {
	output, err := runCommand(ctx, rt, t.containerID, cmd, timeout)
	var cmdErr *commandError
	switch {
	case err == nil:
		return outcome{result: Success, message: output}
	case errors.As(err, &cmdErr) && cmdErr.ran():
		return outcome{result: Failure, message: withOutput(err.Error(), output)}
	default:
		return outcome{result: Unknown, message: err.Error()}
	}
}

func withOutput(msg, output string) string {
	if output == "" {
		return msg
	}
	return msg + ": " + output
}
