package framework

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// crictlTimeout bounds one crictl run; crictl's own --timeout bounds each
// of its CRI calls.
const crictlTimeout = time.Minute

// Crictl runs the test bed's real crictl against the test bed's runtime
// (whatever /etc/crictl.yaml says) and returns its stdout. A failing crictl
// fails the test with the command line and everything it printed.
func Crictl(t testing.TB, args ...string) string {
	t.Helper()
	stdout, stderr, err := LoadEnv(t).runCrictl(args...)
	if err != nil {
		t.Fatalf("crictl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

func (e *Env) runCrictl(args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), crictlTimeout)
	defer cancel()
	full := append([]string{
		"--runtime-endpoint", e.RuntimeEndpoint,
		"--image-endpoint", e.RuntimeEndpoint,
		"--timeout", "30s",
	}, args...)
	cmd := exec.CommandContext(ctx, e.Crictl, full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TableRow returns the row of crictl table output (pods, ps, images) whose
// first column starts with id, split into whitespace-separated fields, or
// nil when no row matches. crictl truncates IDs to 13 characters.
func TableRow(output, id string) []string {
	prefix := id
	if len(prefix) > 13 {
		prefix = prefix[:13]
	}
	for _, line := range strings.Split(output, "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.HasPrefix(id, fields[0]) && strings.HasPrefix(fields[0], prefix) {
			return fields
		}
	}
	return nil
}
