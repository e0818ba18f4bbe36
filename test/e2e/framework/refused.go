package framework

import (
	"context"
	"errors"
	"os/exec"
	"time"
)

// StartRefused runs the agent as Start would, for a test whose agent must
// refuse to start: it fails the test unless the agent exits with an error
// within timeout. It returns what the agent printed.
func (a *Agent) StartRefused(timeout time.Duration) string {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, a.Binary, a.runArgs()...).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() <= 0 || ctx.Err() != nil {
		a.t.Fatalf("the agent did not refuse to start within %s (%v):\n%s", timeout, err, out)
	}
	return string(out)
}
