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

// TestClusterRunsTheScheduledPods joins the test bed's control plane and
// checks, with the real kubectl as the cluster's administrator, the pods
// the real scheduler binds to the node: one runs, `kubectl get pod -o
// wide` shows it Running, Ready, with its IP and the node; an agent
// restart leaves its container alone; `kubectl delete pod` with the
// default grace stops it on the node (no sandbox left) and removes it
// from the API server, and so does a delete made while the agent was
// down, once it is back. Pods the node must refuse show Failed with the
// reason: one with a persistentVolumeClaim volume, and one beyond maxPods (both bound
// by nodeName: the scheduler itself keeps to the node's pod capacity).
// Skipped without test/testbed/env.cluster.
func TestClusterRunsTheScheduledPods(t *testing.T) {
	agent, admin, objects := joinedAgent(t, "--max-pods", "2")
	web, down := framework.UniqueName("web"), framework.UniqueName("down")
	refused, extra := framework.UniqueName("refused"), framework.UniqueName("extra")
	objects.pod(web, down, refused, extra)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)

	// No nodeName: the scheduler binds them, to this node by its label
	// (other test nodes may be in the cluster).
	apply := func(_, manifest string) { createFrom(t, admin, manifest) }
	created := time.Now()
	apply(web, scheduledPod(web, agent.NodeName, agent.Env.KubiaImage, ""))
	apply(down, scheduledPod(down, agent.NodeName, agent.Env.KubiaImage, ""))
	first := waitWide(t, admin, web, agent.NodeName, 90*time.Second)
	t.Logf("pod Running and Ready in `kubectl get pod -o wide` %s after kubectl create", time.Since(created).Round(time.Millisecond))
	waitWide(t, admin, down, agent.NodeName, 60*time.Second)
	apply(refused, scheduledPod(refused, agent.NodeName, agent.Env.KubiaImage, `  nodeName: `+agent.NodeName+`
  volumes:
  - name: claim
    persistentVolumeClaim:
      claimName: data
`))
	apply(extra, scheduledPod(extra, agent.NodeName, agent.Env.KubiaImage, "  nodeName: "+agent.NodeName+"\n"))
	if first.Status.HostIP == "" || first.Status.StartTime == nil || len(first.Status.ContainerStatuses) != 1 ||
		first.Status.ContainerStatuses[0].State.Running == nil || podCondition(first, v1.ContainersReady) != v1.ConditionTrue {
		t.Errorf("pod status %+v: want hostIP, startTime and a running container", first.Status)
	}

	var rp *v1.Pod
	framework.WaitUntil(t, 30*time.Second, "refused pod Failed", func() bool {
		rp = getMirror(t, admin, refused)
		return rp != nil && rp.Status.Phase == v1.PodFailed
	})
	if rp.Status.Reason != "UnsupportedPodSpec" || !strings.Contains(rp.Status.Message, "spec.volumes[0].persistentVolumeClaim") {
		t.Errorf("refused pod status reason %q message %q: want UnsupportedPodSpec naming spec.volumes[0].persistentVolumeClaim", rp.Status.Reason, rp.Status.Message)
	}
	t.Logf("refused pod: %s: %s", rp.Status.Reason, rp.Status.Message)
	var xp *v1.Pod
	framework.WaitUntil(t, 30*time.Second, "pod beyond maxPods Failed", func() bool {
		xp = getMirror(t, admin, extra)
		return xp != nil && xp.Status.Phase == v1.PodFailed
	})
	if xp.Status.Reason != "OutOfpods" || !strings.Contains(xp.Status.Message, "capacity: 2") {
		t.Errorf("pod beyond maxPods: reason %q message %q: want OutOfpods, capacity: 2", xp.Status.Reason, xp.Status.Message)
	}
	t.Logf("pod beyond maxPods: %s: %s", xp.Status.Reason, xp.Status.Message)
	checkNoSandbox(t, agent, string(xp.UID))

	// Idle, the node writes no pod status.
	idle := getMirror(t, admin, web)
	time.Sleep(3 * time.Second)
	if now := getMirror(t, admin, web); now.ResourceVersion != idle.ResourceVersion {
		t.Errorf("pod written while idle: resourceVersion %s → %s", idle.ResourceVersion, now.ResourceVersion)
	}

	// A restarted agent adopts the pod: same container, no restart.
	agent.Signal(syscall.SIGTERM)
	agent.Start()
	time.Sleep(5 * time.Second)
	again := getMirror(t, admin, web)
	if again == nil || again.UID != first.UID || again.Status.Phase != v1.PodRunning || len(again.Status.ContainerStatuses) != 1 ||
		again.Status.ContainerStatuses[0].ContainerID != first.Status.ContainerStatuses[0].ContainerID ||
		again.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Errorf("after an agent restart the pod is %+v; want the same running container %s", again, first.Status.ContainerStatuses[0].ContainerID)
	}

	// kubectl delete (default grace) waits until the pod is gone from the
	// API server, which the agent does once nothing of it is on the node.
	deleted := time.Now()
	admin.must("delete", "pod", web, "--timeout=90s")
	t.Logf("kubectl delete pod returned after %s", time.Since(deleted).Round(time.Millisecond))
	checkNoSandbox(t, agent, string(first.UID))

	// Deleted while the agent is down: cleaned up when it is back.
	downPod := getMirror(t, admin, down)
	agent.Signal(syscall.SIGTERM)
	admin.must("delete", "pod", down, "--wait=false")
	agent.Start()
	framework.WaitUntil(t, 90*time.Second, "pod deleted while the agent was down gone from the API server", func() bool {
		return getMirror(t, admin, down) == nil
	})
	checkNoSandbox(t, agent, string(downPod.UID))

	// A refused pod runs nothing: deleted, it goes at once.
	admin.must("delete", "pod", refused, extra, "--timeout=30s")
}

// scheduledPod is a kubia pod without nodeName, for the scheduler to bind
// to node. It mounts no service-account token, to start without waiting
// for a TokenRequest (extra adds YAML under spec).
func scheduledPod(name, node, image, extra string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  automountServiceAccountToken: false
  nodeSelector:
    kubernetes.io/hostname: %s
  containers:
  - name: kubia
    image: %s
    ports:
    - containerPort: 8080
%s`, name, node, image, extra)
}

// waitWide waits until `kubectl get pod -o wide` lists the pod 1/1
// Running with an IP, on node, and returns the pod.
func waitWide(t *testing.T, admin cli, name, node string, timeout time.Duration) *v1.Pod {
	t.Helper()
	var p *v1.Pod
	framework.WaitUntil(t, timeout, "pod "+name+" 1/1 Running with its IP on "+node+" in `kubectl get pod -o wide`", func() bool {
		f := strings.Fields(lastLine(admin.must("get", "pod", name, "-o", "wide")))
		if len(f) < 7 || f[1] != "1/1" || f[2] != "Running" || f[6] != node {
			return false
		}
		p = getMirror(t, admin, name)
		return p != nil && f[5] == p.Status.PodIP && p.Status.PodIP != "" && podCondition(p, v1.PodReady) == v1.ConditionTrue
	})
	return p
}

// checkNoSandbox fails when the runtime still has a sandbox of the pod.
func checkNoSandbox(t *testing.T, agent *framework.Agent, uid string) {
	t.Helper()
	for _, sb := range agent.TakeInventory(t).Sandboxes {
		if sb.PodUID == uid {
			t.Errorf("sandbox %s of deleted pod %s is left in the runtime", sb.ID, uid)
		}
	}
}

// TestClusterRunsADeployment: a Deployment's pods, scheduled to the node,
// run and are Ready as the controllers read it (the Deployment reports its
// replicas available), and scaling down stops the extra pod on the node
// and removes it from the API server.
func TestClusterRunsADeployment(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	name := framework.UniqueName("kubia")
	objects.add("deployment", name, "--wait=false")
	objects.pod("-l", "app="+name)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	manifest := fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 2
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      automountServiceAccountToken: false
      nodeSelector:
        kubernetes.io/hostname: %[2]s
      containers:
      - name: kubia
        image: %[3]s
`, name, agent.NodeName, agent.Env.KubiaImage)
	created := time.Now()
	createFrom(t, admin, manifest)
	admin.must("rollout", "status", "deployment/"+name, "--timeout=120s")
	t.Logf("deployment of 2 replicas available %s after kubectl create", time.Since(created).Round(time.Millisecond))
	pods := strings.Fields(admin.must("get", "pods", "-l", "app="+name, "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.uid}={.spec.nodeName} {end}"))
	if len(pods) != 2 {
		t.Fatalf("deployment pods %v, want 2", pods)
	}
	for _, p := range pods {
		if f := strings.Split(p, "="); f[2] != agent.NodeName {
			t.Errorf("pod %s on %q, want %s", f[0], f[2], agent.NodeName)
		}
	}

	admin.must("scale", "deployment", name, "--replicas=1")
	var left []string
	framework.WaitUntil(t, 60*time.Second, "one pod left after scaling down", func() bool {
		left = strings.Fields(admin.must("get", "pods", "-l", "app="+name, "-o", "jsonpath={range .items[*]}{.metadata.uid} {end}"))
		return len(left) == 1
	})
	for _, p := range pods {
		if uid := strings.Split(p, "=")[1]; uid != left[0] {
			checkNoSandbox(t, agent, uid)
		}
	}
}
