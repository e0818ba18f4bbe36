//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// kubiaPod renders a one-container kubia pod; extra is YAML appended under
// the container (indented 4 spaces), specExtra under spec (2 spaces).
func kubiaPod(env *framework.Env, name, containerExtra, specExtra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels:
    app: kubia
spec:
  terminationGracePeriodSeconds: 5
%s  containers:
  - name: kubia
    image: %s
    ports:
    - containerPort: 8080
%s`, name, specExtra, env.KubiaImage, containerExtra)
}

func TestStaticPodRunsAndAnswersHTTP(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("kubia")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))

	pod := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	if pod.Status.PodIP == "" {
		t.Fatalf("running pod has no IP: %+v", pod.Status)
	}
	body, err := framework.HTTPGet(framework.Context(t, 20*time.Second), "http://"+pod.Status.PodIP+":8080/")
	if err != nil || body != "You've hit "+name+"\n" {
		t.Fatalf("GET pod IP: %q, %v", body, err)
	}
	pods := framework.Crictl(t, "pods", "--name", name)
	if !strings.Contains(pods, name) || !strings.Contains(pods, "default") {
		t.Fatalf("crictl pods --name %s does not show the pod and its namespace:\n%s", name, pods)
	}
	ps := framework.Crictl(t, "ps", "--label", "io.kubernetes.pod.name="+name)
	row := strings.Fields(lastLine(ps))
	if len(row) == 0 || !contains(row, name) || !contains(row, "kubia") || contains(row, "unknown") {
		t.Fatalf("crictl ps does not show container kubia of pod %s:\n%s", name, ps)
	}
}

func TestTwoContainersShareLocalhostAndEmptyDir(t *testing.T) {
	agent := framework.StartAgent(t)
	env := agent.Env
	name := framework.UniqueName("pair")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - name: shared
    emptyDir: {}
  containers:
  - name: web
    image: %[2]s
    volumeMounts:
    - {name: shared, mountPath: /shared}
  - name: side
    image: %[2]s
    args: ["-listen", ":9090"]
    volumeMounts:
    - {name: shared, mountPath: /data}
`, name, env.KubiaImage))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	web := containerID(t, name, "web")
	side := containerID(t, name, "side")
	out := framework.Crictl(t, "exec", side, "/kubia", "get", "http://127.0.0.1:8080/")
	if out != "You've hit "+name+"\n" {
		t.Fatalf("side → web over localhost: %q", out)
	}
	framework.Crictl(t, "exec", web, "/kubia", "write", "/shared/note", "hello from web")
	if got := framework.Crictl(t, "exec", side, "/kubia", "cat", "/data/note"); strings.TrimSpace(got) != "hello from web" {
		t.Fatalf("file written by web not seen by side through the emptyDir: %q", got)
	}
}

func TestInitContainersRunInOrderBeforeApps(t *testing.T) {
	agent := framework.StartAgent(t)
	env := agent.Env
	name := framework.UniqueName("init")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - name: work
    emptyDir: {}
  initContainers:
  - name: first
    image: %[2]s
    command: ["/kubia", "write", "/work/first", "1"]
    volumeMounts: [{name: work, mountPath: /work}]
  - name: second
    image: %[2]s
    command: ["/kubia", "cat", "/work/first"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: %[2]s
    volumeMounts: [{name: work, mountPath: /work}]
`, name, env.KubiaImage))
	pod := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	var finished []time.Time
	for _, ic := range pod.Status.InitContainerStatuses {
		term := ic.State.Terminated
		if term == nil || term.ExitCode != 0 {
			t.Fatalf("init container %s did not complete: %+v", ic.Name, ic.State)
		}
		finished = append(finished, term.FinishedAt.Time)
	}
	// "second" reads the file "first" wrote, so it only succeeds if it ran after.
	app := pod.Status.ContainerStatuses[0].State.Running.StartedAt.Time
	if len(finished) != 2 || finished[0].After(finished[1]) || app.Before(finished[1]) {
		t.Fatalf("order wrong: init finished %v, app started %v", finished, app)
	}
}

func TestEditReplacesPodAndDeleteRemovesIt(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("edit")
	file := name + ".yaml"
	agent.WriteManifest(file, kubiaPod(agent.Env, name, "", ""))
	before := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	agent.WriteManifest(file, kubiaPod(agent.Env, name, "    env:\n    - {name: VERSION, value: \"2\"}\n", ""))
	after := agent.WaitPod(name, 60*time.Second, "replaced and Running", func(p *v1.Pod) bool {
		return p.UID != before.UID && framework.Running(p)
	})
	if sandboxes := podSandboxes(t, name); len(sandboxes) != 1 {
		t.Fatalf("after the edit want exactly the new sandbox, crictl shows %v", sandboxes)
	}

	removedAt := time.Now()
	agent.RemoveManifest(file)
	deadline := removedAt.Add(5*time.Second + 5*time.Second) // grace period + margin
	for len(podSandboxes(t, name)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sandbox of %s still present %s after the manifest was deleted", name, time.Since(removedAt))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out := framework.Crictl(t, "ps", "-a", "--label", "io.kubernetes.pod.uid="+string(after.UID)); strings.Count(out, "\n") > 1 {
		t.Fatalf("containers left after deletion:\n%s", out)
	}
	logDir := filepath.Join(agent.PodLogDir, fmt.Sprintf("default_%s_%s", name, after.UID))
	if _, err := os.Stat(logDir); !os.IsNotExist(err) {
		t.Fatalf("pod log directory %s left behind (err=%v)", logDir, err)
	}
	agent.CheckInventory(t, 10*time.Second)
}

func TestCrashingContainerBacksOffAndPoliciesApply(t *testing.T) {
	agent := framework.StartAgent(t)
	env := agent.Env
	crash := framework.UniqueName("crash")
	never := framework.UniqueName("never")
	onfail := framework.UniqueName("onfail")
	failing := "    args: [\"-exit-code\", \"3\"]\n"
	agent.WriteManifest(crash+".yaml", kubiaPod(env, crash, failing, ""))
	agent.WriteManifest(never+".yaml", kubiaPod(env, never, failing, "  restartPolicy: Never\n"))
	agent.WriteManifest(onfail+".yaml", kubiaPod(env, onfail, "    args: [\"-exit-code\", \"0\"]\n", "  restartPolicy: OnFailure\n"))

	agent.WaitPod(crash, 60*time.Second, "CrashLoopBackOff after restarts", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount >= 1 && cs[0].State.Waiting != nil &&
			cs[0].State.Waiting.Reason == "CrashLoopBackOff" && cs[0].LastTerminationState.Terminated != nil &&
			cs[0].LastTerminationState.Terminated.ExitCode == 3
	})
	p := agent.WaitPod(never, 30*time.Second, "Failed with Error", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return p.Status.Phase == v1.PodFailed && len(cs) == 1 && cs[0].State.Terminated != nil && cs[0].State.Terminated.Reason == "Error"
	})
	if p.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Fatalf("restartPolicy Never restarted the container: %+v", p.Status.ContainerStatuses[0])
	}
	p = agent.WaitPod(onfail, 30*time.Second, "Succeeded", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodSucceeded })
	if cs := p.Status.ContainerStatuses[0]; cs.RestartCount != 0 || cs.State.Terminated.Reason != "Completed" {
		t.Fatalf("OnFailure restarted a container that succeeded: %+v", cs)
	}
	// Back-off grows: the restart after the second crash waits ~10 s, not 0.
	first := agent.Pod(crash).Status.ContainerStatuses[0].RestartCount
	time.Sleep(3 * time.Second)
	if now := agent.Pod(crash).Status.ContainerStatuses[0].RestartCount; now > first+1 {
		t.Fatalf("restarted %d times in 3 s while in CrashLoopBackOff", now-first)
	}
}

func TestAgentKilledAndRestartedAdoptsPods(t *testing.T) {
	agent := framework.StartAgent(t)
	keep := framework.UniqueName("keep")
	gone := framework.UniqueName("gone")
	agent.WriteManifest(keep+".yaml", kubiaPod(agent.Env, keep, "", ""))
	agent.WriteManifest(gone+".yaml", kubiaPod(agent.Env, gone, "", ""))
	agent.WaitPod(keep, 60*time.Second, "Running", framework.Running)
	agent.WaitPod(gone, 60*time.Second, "Running", framework.Running)
	keepID := containerID(t, keep, "kubia")

	agent.Signal(syscall.SIGKILL)
	if len(podSandboxes(t, keep)) != 1 {
		t.Fatalf("pods must survive the agent's death")
	}
	agent.RemoveManifest(gone + ".yaml")
	agent.Start()

	pod := agent.WaitPod(keep, 30*time.Second, "Running after adoption", framework.Running)
	if rc := pod.Status.ContainerStatuses[0].RestartCount; rc != 0 {
		t.Fatalf("adopted container restart count %d, want 0", rc)
	}
	if id := containerID(t, keep, "kubia"); id != keepID {
		t.Fatalf("adopted container was replaced: %s → %s", keepID, id)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(podSandboxes(t, gone)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pod whose manifest was deleted while the agent was down is still there")
		}
		time.Sleep(100 * time.Millisecond)
	}
	agent.CheckInventory(t, 20*time.Second)
}

func TestBrokenManifestIsReportedAndOthersUnaffected(t *testing.T) {
	agent := framework.StartAgent(t)
	good := framework.UniqueName("good")
	goodFile := agent.WriteManifest(good+".yaml", kubiaPod(agent.Env, good, "", ""))
	agent.WaitPod(good, 60*time.Second, "Running", framework.Running)
	uid := agent.Pod(good).UID

	agent.WriteManifest("kubia-manual.yaml", `apiVersion: v1
kind: pod
metadata:
  name: kubia-manual
spec:
  containers:
  - images: luksa/kubia
    name: kubia
    ports:
    - containerPort: 8080
      protocol: TCP
`)
	want := []string{
		`kubia-manual.yaml: kind "pod" is not "Pod"`,
		`kubia-manual.yaml: spec.containers[0]: unknown field "images" (did you mean "image"?)`,
	}
	// The log is slog text: each message is one quoted attribute value.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(agent.Logs(), strconv.Quote(want[1])) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range want {
		if n := strings.Count(agent.Logs(), strconv.Quote(w)); n != 1 {
			t.Errorf("agent log has %q %d times, want once", w, n)
		}
	}
	broken := agent.WaitPod("kubia-manual", 10*time.Second, "shown with its manifest error", func(p *v1.Pod) bool {
		return p.Status.Reason == "ManifestError"
	})
	if !strings.Contains(broken.Status.Message, "kubia-manual.yaml") {
		t.Errorf("broken pod's status message does not name the file: %q", broken.Status.Message)
	}

	// Truncate the running pod's manifest to half: it must keep running.
	data, err := os.ReadFile(goodFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goodFile, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	pod := agent.Pod(good)
	if pod == nil || pod.UID != uid || !framework.Running(pod) {
		t.Fatalf("half-written manifest took the pod down: %+v", pod)
	}
	if len(podSandboxes(t, good)) != 1 {
		t.Fatalf("sandbox of %s gone after its manifest was truncated", good)
	}
}

// podSandboxes lists the IDs of the named pod's sandboxes through crictl.
func podSandboxes(t *testing.T, name string) []string {
	t.Helper()
	return strings.Fields(framework.Crictl(t, "pods", "-q", "--label", "io.kubernetes.pod.name="+name))
}

// containerID finds a running container of a pod through crictl.
func containerID(t *testing.T, pod, container string) string {
	t.Helper()
	ids := strings.Fields(framework.Crictl(t, "ps", "-q", "--label", "io.kubernetes.pod.name="+pod, "--label", "io.kubernetes.container.name="+container))
	if len(ids) != 1 {
		t.Fatalf("want one running container %s in pod %s, crictl shows %v", container, pod, ids)
	}
	return ids[0]
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
