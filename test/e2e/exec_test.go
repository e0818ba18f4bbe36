//go:build e2e

package e2e

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Exec, attach and cp with the real kubectl and minikubelet's CLI, on the
// real runtime. The kubia image's tools stand in for a shell: kubia repl
// answers lines and reports its terminal's size, and /tar is the tar
// kubectl cp runs.

// streamClients are the clients every exec test runs with: kubectl as it
// comes (WebSocket first), kubectl made to speak SPDY, and our CLI.
func streamClients(t *testing.T, agent *framework.Agent) map[string]cli {
	spdy := kubectlFor(t, agent)
	spdy.env = []string{"KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false"}
	return map[string]cli{"kubectl": kubectlFor(t, agent), "kubectl-spdy": spdy, "minikubelet": ownCLIFor(t, agent)}
}

// verb runs `client VERB CONNECTION-FLAGS ARGS...`: the connection flags
// must come before exec's `--`.
func (c cli) verb(stdin, verb string, args ...string) (string, string, error) {
	plain := c
	plain.extra = nil
	return plain.run(stdin, append(append([]string{verb}, c.extra...), args...)...)
}

// exitCode is a client's exit status, -1 when it did not exit.
func exitCode(err error) int {
	var exitErr *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	return -1
}

func TestExecRunsCommandsWithTheirOutputInputAndExitCode(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("exec")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	for client, c := range streamClients(t, agent) {
		t.Run(client, func(t *testing.T) {
			out, errOut, err := c.verb("", "exec", name, "--", "/kubia", "cat", "/etc/passwd")
			if err != nil || !strings.HasPrefix(out, "root:x:0:0:") {
				t.Errorf("exec cat: %v\nstdout: %q\nstderr: %s", err, out, errOut)
			}
			// kubia check exits 1 when its file exists.
			out, errOut, err = c.verb("", "exec", name, "--", "/kubia", "check", "/etc/passwd")
			if exitCode(err) != 1 || !strings.Contains(errOut, "command terminated with exit code 1") || !strings.Contains(out, "/etc/passwd exists") {
				t.Errorf("exec of a failing command: exit %d (%v); want 1 and kubectl's message\nstdout: %q\nstderr: %s", exitCode(err), err, out, errOut)
			}
			// End of input reaches the process: the REPL says bye.
			out, errOut, err = c.verb("one\ntwo\n", "exec", "-i", name, "--", "/kubia", "repl")
			if err != nil || !strings.Contains(out, "echo: one\n") || !strings.Contains(out, "echo: two\n") || !strings.HasSuffix(out, "bye\n") {
				t.Errorf("exec -i: %v\nstdout: %q\nstderr: %s", err, out, errOut)
			}
			out, errOut, err = c.verb("exit 3\n", "exec", "-i", name, "--", "/kubia", "repl")
			if exitCode(err) != 3 || !strings.Contains(errOut, "command terminated with exit code 3") {
				t.Errorf("exec -i with exit 3: exit %d (%v)\nstdout: %q\nstderr: %s", exitCode(err), err, out, errOut)
			}
		})
	}
	// kubectl really spoke WebSocket (and the agent translated it), and
	// SPDY when told to.
	logs := agent.Logs()
	for _, want := range []string{
		`protocol="v5.channel.k8s.io over WebSocket, translated to SPDY"`,
		`protocol="SPDY/3.1 v5.channel.k8s.io,v4.channel.k8s.io`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the agent's log has no session with %s:\n%s", want, logs)
		}
	}
}
