//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Lifecycle hooks against the real agent. The container writes its marks
// (hook ran, SIGTERM arrived) into a hostPath directory, so the test reads
// them after the container is gone.

func TestPostStartHookRunsRightAfterStart(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("poststart")
	out := hookDir(t)
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart:
        exec: {command: ["/kubia", "write", "/out/poststart", "ran"]}
`, hookVolume(out)))
	pod := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	content, err := os.ReadFile(filepath.Join(out, "poststart"))
	if err != nil || strings.TrimSpace(string(content)) != "ran" {
		t.Fatalf("postStart mark: %q, %v", content, err)
	}
	started := probeStatus(t, pod, "kubia").State.Running.StartedAt.Time
	if ran := hookMTime(t, out, "poststart"); ran.Before(started.Add(-time.Second)) || ran.After(started.Add(5*time.Second)) {
		t.Fatalf("postStart ran at %s, container started at %s: not right after the start", ran, started)
	}
}

func TestFailingPostStartHookKillsContainer(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("badpoststart")
	// kubia check exits 1 when the file exists, and /kubia always does.
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    lifecycle:
      postStart:
        exec: {command: ["/kubia", "check", "/kubia"]}
`, "  restartPolicy: Never\n"))
	// kubia serves until stopped: a terminated container was killed.
	agent.WaitPod(name, 60*time.Second, "container killed after its postStart failed", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Terminated != nil
	})
	events := probePodEvents(t, agent, name)
	if !probeHasEvent(events, "FailedPostStartHook", `exited with code 1`) {
		t.Fatalf("no FailedPostStartHook event with the hook's exit code; events:\n%s", probeEventList(events))
	}
}

func TestPreStopHookRunsBeforeSIGTERM(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("prestop")
	out := hookDir(t)
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    args: ["-sigterm-file", "/out/sigterm"]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      preStop:
        exec: {command: ["/kubia", "write", "/out/prestop", "ran"]}
`, hookVolume(out)))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	if _, err := os.Stat(filepath.Join(out, "prestop")); err == nil {
		t.Fatal("preStop ran while the pod was still wanted")
	}
	agent.RemoveManifest(name + ".yaml")
	hookWaitGone(t, agent, name, 30*time.Second)

	prestop, sigterm := hookMTime(t, out, "prestop"), hookMTime(t, out, "sigterm")
	if sigterm.Before(prestop) {
		t.Fatalf("SIGTERM arrived at %s, before preStop ran at %s", sigterm.Format(time.StampMicro), prestop.Format(time.StampMicro))
	}
}

func TestContainerIgnoringSIGTERMIsKilledWhenGracePeriodEnds(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("stubborn")
	out := hookDir(t)
	const grace = 4 * time.Second
	manifest := kubiaPod(agent.Env, name, `    args: ["-ignore-sigterm", "-sigterm-file", "/out/sigterm"]
    volumeMounts: [{name: out, mountPath: /out}]
`, hookVolume(out))
	manifest = strings.Replace(manifest, "terminationGracePeriodSeconds: 5", fmt.Sprintf("terminationGracePeriodSeconds: %d", int(grace.Seconds())), 1)
	agent.WriteManifest(name+".yaml", manifest)
	id := probeRuntimeID(probeStatus(t, agent.WaitPod(name, 60*time.Second, "Running", framework.Running), "kubia"))

	agent.RemoveManifest(name + ".yaml")
	exited := hookWaitExit(t, id, 30*time.Second)
	sigterm := hookMTime(t, out, "sigterm")
	if lived := exited.Sub(sigterm); lived < grace-300*time.Millisecond || lived > grace+3*time.Second {
		t.Fatalf("container lived %s after SIGTERM; want it killed when the %s grace period ends", lived, grace)
	}
}

func TestPreStopTimeCountsAgainstGracePeriod(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("prestopgrace")
	out := hookDir(t)
	const grace, hook = 6 * time.Second, 3 * time.Second
	manifest := kubiaPod(agent.Env, name, fmt.Sprintf(`    args: ["-ignore-sigterm", "-sigterm-file", "/out/sigterm"]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      preStop:
        sleep: {seconds: %d}
`, int(hook.Seconds())), hookVolume(out))
	manifest = strings.Replace(manifest, "terminationGracePeriodSeconds: 5", fmt.Sprintf("terminationGracePeriodSeconds: %d", int(grace.Seconds())), 1)
	agent.WriteManifest(name+".yaml", manifest)
	id := probeRuntimeID(probeStatus(t, agent.WaitPod(name, 60*time.Second, "Running", framework.Running), "kubia"))

	removed := time.Now()
	agent.RemoveManifest(name + ".yaml")
	exited := hookWaitExit(t, id, 30*time.Second)
	sigterm := hookMTime(t, out, "sigterm")
	if waited := sigterm.Sub(removed); waited < hook-300*time.Millisecond {
		t.Fatalf("SIGTERM %s after the manifest went; the %s preStop sleep must come first", waited, hook)
	}
	// The hook spends the grace period, it does not extend it.
	if took := exited.Sub(removed); took < grace-300*time.Millisecond || took > grace+3*time.Second {
		t.Fatalf("container stopped %s after the manifest went; want about the %s grace period (hook included)", took, grace)
	}
}

// hookDir is a host directory for the container's marks.
func hookDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hookVolume is the spec-level YAML that mounts dir as volume "out".
func hookVolume(dir string) string {
	return fmt.Sprintf("  volumes: [{name: out, hostPath: {path: %s}}]\n", dir)
}

func hookMTime(t *testing.T, dir, name string) time.Time {
	t.Helper()
	info, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("the container's %s mark is missing: %v", name, err)
	}
	return info.ModTime()
}

// hookWaitExit polls the runtime until the container no longer runs and
// returns when that was seen (within 50 ms).
func hookWaitExit(t *testing.T, id string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out := framework.Crictl(t, "ps", "-q", "--id", id, "--state", "running")
		if strings.TrimSpace(out) == "" {
			return time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("container %s still running %s after its pod's manifest went", id, timeout)
	return time.Time{}
}

// hookWaitGone waits until the agent no longer lists the pod.
func hookWaitGone(t *testing.T, agent *framework.Agent, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for agent.Pod(name) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("pod %s still listed %s after its manifest went", name, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
