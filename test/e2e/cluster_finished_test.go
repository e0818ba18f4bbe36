//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterKeepsAFinishedPodUntilItIsDeleted: a pod with restartPolicy
// Never that prints a line and exits shows Succeeded and `kubectl logs`
// prints the line, as the conformance tests read them (and a completed
// Job's `kubectl logs job/NAME` prints its pod's); its
// container stays (exited) and its sandbox is stopped, holding no
// address; an agent restart does not run it again (same container, no
// new one in the runtime); `kubectl delete pod` removes its container,
// sandbox, log and pod directories and leaks no address.
func TestClusterKeepsAFinishedPodUntilItIsDeleted(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	name := framework.UniqueName("done")
	objects.pod(name)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  nodeSelector:
    kubernetes.io/hostname: %s
  containers:
  - name: printer
    image: %s
    command: ["/kubia", "cat", "/etc/hostname"]
`, name, agent.NodeName, agent.Env.KubiaImage)
	job := framework.UniqueName("job")
	objects.add("job", job, "--wait=false")
	manifest += fmt.Sprintf(`---
apiVersion: batch/v1
kind: Job
metadata:
  name: %s
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      nodeSelector:
        kubernetes.io/hostname: %s
      containers:
      - name: printer
        image: %s
        command: ["/kubia", "cat", "/etc/hostname"]
`, job, agent.NodeName, agent.Env.KubiaImage)
	createFrom(t, admin, manifest)

	var done *v1.Pod
	framework.WaitUntil(t, 90*time.Second, "pod Succeeded", func() bool {
		done = getMirror(t, admin, name)
		return done != nil && done.Status.Phase == v1.PodSucceeded && len(done.Status.ContainerStatuses) == 1
	})
	first := done.Status.ContainerStatuses[0]
	if first.State.Terminated == nil || first.State.Terminated.ExitCode != 0 {
		t.Fatalf("container status %+v: want terminated with exit code 0", first)
	}
	uid := string(done.UID)
	// The sandbox stops once the pod finished; the sync loop keeps it and
	// the container, and reads the logs on.
	framework.WaitUntil(t, 30*time.Second, "sandbox stopped, container kept", func() bool {
		inv := agent.TakeInventory(t)
		return len(uidSandboxes(inv, uid)) == 1 && !uidSandboxes(inv, uid)[0].Ready && len(uidContainers(inv, uid)) == 1
	})
	time.Sleep(2 * time.Second) // long enough for a wrong removal to happen
	if got := strings.TrimSpace(admin.must("logs", name)); got != name {
		t.Errorf("kubectl logs of the finished pod printed %q, want its line %q", got, name)
	}
	// A Job's pod, read as its users read it, after the Job completed.
	admin.must("wait", "--for=condition=complete", "job/"+job, "--timeout=60s")
	if got := strings.TrimSpace(admin.must("logs", "job/"+job)); !strings.HasPrefix(got, job+"-") {
		t.Errorf("kubectl logs job/%s printed %q, want its pod's name", job, got)
	}
	inv := agent.TakeInventory(t)
	sandboxes, containers := uidSandboxes(inv, uid), uidContainers(inv, uid)
	if len(sandboxes) != 1 || sandboxes[0].Ready || len(containers) != 1 || containers[0].Running {
		t.Fatalf("finished pod in the runtime: sandboxes %+v containers %+v; want one stopped sandbox and one exited container", sandboxes, containers)
	}
	if !inv.LogDirs[uid] {
		t.Errorf("the finished pod's log directory is gone while the pod is in the API server")
	}
	checkNoAddress(t, inv, sandboxes[0].ID)

	// A restarted agent reads the phase from the API server: nothing
	// runs again.
	agent.Signal(syscall.SIGTERM)
	agent.Start()
	time.Sleep(6 * time.Second)
	again := getMirror(t, admin, name)
	if again == nil || again.Status.Phase != v1.PodSucceeded || len(again.Status.ContainerStatuses) != 1 ||
		again.Status.ContainerStatuses[0].ContainerID != first.ContainerID || again.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Errorf("after an agent restart the pod is %+v; want Succeeded with the same container %s, no restart", again, first.ContainerID)
	}
	inv = agent.TakeInventory(t)
	if got := uidContainers(inv, uid); len(got) != 1 || got[0].Running || !strings.HasSuffix(first.ContainerID, got[0].ID) {
		t.Errorf("containers of the finished pod after an agent restart: %+v; want only %s, exited", got, first.ContainerID)
	}
	if got := uidSandboxes(inv, uid); len(got) != 1 || got[0].Ready || got[0].ID != sandboxes[0].ID {
		t.Errorf("sandboxes of the finished pod after an agent restart: %+v; want only %s, stopped", got, sandboxes[0].ID)
	}
	if got := strings.TrimSpace(admin.must("logs", name)); got != name {
		t.Errorf("kubectl logs after an agent restart printed %q, want %q", got, name)
	}

	// Deleted, everything goes, and the API object is finalised.
	admin.must("delete", "pod", name, "--timeout=60s")
	framework.WaitUntil(t, 30*time.Second, "nothing left of the deleted pod", func() bool {
		inv = agent.TakeInventory(t)
		return len(uidSandboxes(inv, uid)) == 0 && len(uidContainers(inv, uid)) == 0 && !inv.LogDirs[uid] && !inv.PodDirs[uid]
	})
	checkNoAddress(t, inv, sandboxes[0].ID)
	for ip, owner := range inv.Allocations {
		if !inv.RuntimeSandboxes[owner] {
			t.Errorf("address %s is held for sandbox %s, which the runtime does not have", ip, owner)
		}
	}
}

func uidSandboxes(inv *framework.Inventory, uid string) []framework.InventorySandbox {
	var out []framework.InventorySandbox
	for _, sb := range inv.Sandboxes {
		if sb.PodUID == uid {
			out = append(out, sb)
		}
	}
	return out
}

func uidContainers(inv *framework.Inventory, uid string) []framework.InventoryContainer {
	var out []framework.InventoryContainer
	for _, c := range inv.Containers {
		if c.PodUID == uid {
			out = append(out, c)
		}
	}
	return out
}

// checkNoAddress fails when a host-local address is still held for the
// sandbox: a stopped or removed sandbox gives its IP back.
func checkNoAddress(t *testing.T, inv *framework.Inventory, sandboxID string) {
	t.Helper()
	for ip, owner := range inv.Allocations {
		if owner == sandboxID {
			t.Errorf("address %s is still held for sandbox %s of the finished pod", ip, sandboxID)
		}
	}
}
