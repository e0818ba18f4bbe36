//go:build e2e

package e2e

import (
	"bufio"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterKubectlDebugAddsEphemeralContainers drives `kubectl debug`,
// the real kubectl as the cluster's administrator, against a running pod
// on the node: the ephemeral container it adds runs beside the untouched
// app, in the app's process namespace (--target), shows in the pod's
// status and in crictl, and `kubectl logs -c` and `kubectl exec -c` reach
// it; `kubectl debug -i` attaches to one; one that exits stays exited,
// also across an agent restart, which adopts the running one; all go
// with the pod. Skipped without test/testbed/env.cluster.
func TestClusterKubectlDebugAddsEphemeralContainers(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	web := framework.UniqueName("debugged")
	objects.pod(web)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	createFrom(t, admin, scheduledPod(web, agent.NodeName, agent.Env.KubiaImage, "  nodeName: "+agent.NodeName+"\n"))
	first := waitWide(t, admin, web, agent.NodeName, 90*time.Second)
	image := agent.Env.KubiaImage

	// A debugger in the app's process namespace; kubectl returns once the
	// API server took it.
	added := time.Now()
	admin.mustVerb("debug", web, "-c", "debugger", "--image="+image, "--target=kubia", "--", "/kubia", "-listen", ":9090", "-log-lines", "3")
	debugger := waitEphemeral(t, admin, web, "debugger", "running", func(cs v1.ContainerStatus) bool { return cs.State.Running != nil })
	t.Logf("ephemeral container running in the pod's status %s after kubectl debug", time.Since(added).Round(time.Millisecond))
	if debugger.ContainerID == "" || debugger.ImageID == "" || debugger.RestartCount != 0 || debugger.Image != image {
		t.Errorf("ephemeral container status %+v: want its container ID, image %s and image ID, restart count 0", debugger, image)
	}
	if p := getMirror(t, admin, web); p.Status.ContainerStatuses[0].ContainerID != first.Status.ContainerStatuses[0].ContainerID ||
		p.Status.ContainerStatuses[0].RestartCount != 0 || podCondition(p, v1.PodReady) != v1.ConditionTrue {
		t.Errorf("the app after kubectl debug: %+v; want the same ready instance", p.Status.ContainerStatuses)
	}
	if out := admin.must("logs", web, "-c", "debugger"); !strings.Contains(out, "line 3") {
		t.Errorf("kubectl logs -c debugger:\n%s\nwant its start-up lines", out)
	}
	// --target: process 1 of its PID namespace is the app's kubia server
	// (no arguments), not the debugger itself.
	if out := admin.mustVerb("exec", web, "-c", "debugger", "--", "/kubia", "cat", "/proc/1/cmdline"); strings.TrimRight(out, "\x00") != "/kubia" {
		t.Errorf("kubectl exec -c debugger cat /proc/1/cmdline = %q; want the target's process, /kubia", out)
	}
	if n := runtimeContainers(t, agent, string(first.UID), "debugger"); n != 1 {
		t.Errorf("crictl shows %d debugger containers of the pod, want 1", n)
	}

	// kubectl debug -i attaches to the new container's stdin and output.
	// The line is answered before the repl is told to exit: output the
	// container writes as it exits may not outrun the stream's end.
	stdin, lines, done := session(t, admin, "debug", web, "-i", "-c", "repl", "--image="+image, "--", "/kubia", "repl")
	if _, err := io.WriteString(stdin, "hello from stdin\n"); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, regexp.MustCompile(`echo: hello from stdin`), 60*time.Second)
	_, _ = io.WriteString(stdin, "exit 0\n")
	_ = stdin.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kubectl debug -i ended with %v once the repl exited", err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("kubectl debug -i still attached 30s after the repl was told to exit")
	}
	waitEphemeral(t, admin, web, "repl", "exited 0", func(cs v1.ContainerStatus) bool {
		return cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0
	})

	// One that exits stays exited.
	admin.mustVerb("debug", web, "-c", "oneshot", "--image="+image, "--", "/kubia", "-listen", ":9091", "-log-lines", "1", "-exit-code", "3")
	oneshot := waitEphemeral(t, admin, web, "oneshot", "terminated with exit code 3", func(cs v1.ContainerStatus) bool {
		return cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 3
	})
	if out := admin.must("logs", web, "-c", "oneshot"); !strings.Contains(out, "line 1") {
		t.Errorf("kubectl logs -c oneshot after it exited:\n%s", out)
	}

	// A restarted agent adopts them: the debugger runs on, the one that
	// exited is not run again.
	agent.Signal(syscall.SIGTERM)
	agent.Start()
	time.Sleep(8 * time.Second)
	after := getMirror(t, admin, web)
	for _, cs := range after.Status.EphemeralContainerStatuses {
		switch cs.Name {
		case "debugger":
			if cs.ContainerID != debugger.ContainerID || cs.State.Running == nil {
				t.Errorf("debugger after an agent restart: %+v; want the same running instance %s", cs, debugger.ContainerID)
			}
		case "oneshot":
			if cs.ContainerID != oneshot.ContainerID || cs.State.Terminated == nil || cs.RestartCount != 0 {
				t.Errorf("oneshot after an agent restart: %+v; want the same exited instance %s", cs, oneshot.ContainerID)
			}
		}
	}
	if len(after.Status.EphemeralContainerStatuses) != 3 || after.Status.Phase != v1.PodRunning {
		t.Errorf("pod after an agent restart: phase %s, %d ephemeral container statuses; want Running, 3", after.Status.Phase, len(after.Status.EphemeralContainerStatuses))
	}
	if n := runtimeContainers(t, agent, string(first.UID), "oneshot"); n != 1 {
		t.Errorf("crictl shows %d oneshot containers of the pod, want 1 (never run again)", n)
	}

	admin.must("delete", "pod", web, "--timeout=90s")
	checkNoSandbox(t, agent, string(first.UID))
	if n := runtimeContainers(t, agent, string(first.UID), ""); n != 0 {
		t.Errorf("%d containers of the deleted pod left in the runtime", n)
	}
}

// waitEphemeral waits until the pod's status shows the named ephemeral
// container as ok says, and returns that status.
func waitEphemeral(t *testing.T, admin cli, pod, name, what string, ok func(v1.ContainerStatus) bool) v1.ContainerStatus {
	t.Helper()
	var found v1.ContainerStatus
	framework.WaitUntil(t, 60*time.Second, "ephemeral container "+name+" "+what+" in the pod's status", func() bool {
		p := getMirror(t, admin, pod)
		if p == nil {
			return false
		}
		for _, cs := range p.Status.EphemeralContainerStatuses {
			if cs.Name == name && ok(cs) {
				found = cs
				return true
			}
		}
		return false
	})
	return found
}

// runtimeContainers counts the runtime's containers of the pod with that
// name ("" for any), as crictl lists them.
func runtimeContainers(t *testing.T, agent *framework.Agent, uid, name string) int {
	t.Helper()
	n := 0
	for _, c := range agent.TakeInventory(t).Containers {
		if c.PodUID == uid && (name == "" || c.Name == name) {
			n++
		}
	}
	return n
}

// session runs the client's verb with the connection flags after it, its
// stdin a pipe the test writes, and returns that pipe, its output lines
// (stdout and stderr) and its end; it is killed when the test ends.
func session(t *testing.T, c cli, verb string, args ...string) (io.WriteCloser, <-chan string, <-chan error) {
	t.Helper()
	cmd := exec.Command(c.binary, append(append([]string{verb}, c.extra...), args...)...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines, done := make(chan string, 100), make(chan error, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			select {
			case lines <- scanner.Text():
			default: // nobody reads any more
			}
		}
		close(lines)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return stdin, lines, done
}
