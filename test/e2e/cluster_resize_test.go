//go:build e2e

package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterResizesAPodInPlace resizes a scheduled pod with the real
// kubectl (`kubectl patch --subresource resize`), as a user would: its
// container keeps running (same container ID, restartCount 0), the new
// CPU and memory limits are in effect inside it (the cgroup v1 files it
// reads), and the pod's status reports the new resources, allocated and
// applied, with the new generation observed and no resize condition left.
// An agent restart changes none of it. A resize another pod leaves no
// room for shows PodResizePending, Deferred, the container keeping its
// limits, and is applied once that pod is deleted.
// Skipped without test/testbed/env.cluster.
func TestClusterResizesAPodInPlace(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	name := framework.UniqueName("resize")
	objects.pod(name)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	createFrom(t, admin, scheduledPod(name, agent.NodeName, agent.Env.KubiaImage, `    resources:
      requests: {cpu: 20m, memory: 35Mi}
      limits: {cpu: 30m, memory: 45Mi}
`))
	first := waitWide(t, admin, name, agent.NodeName, 90*time.Second)
	if r := first.Status.ContainerStatuses[0].Resources; r == nil || r.Limits.Memory().Value() != 45<<20 {
		t.Errorf("status resources before the resize %+v, want the 45Mi limit", r)
	}
	cgroup := func(path string) string {
		return strings.TrimSpace(admin.mustVerb("exec", name, "--", "/kubia", "cat", "/sys/fs/cgroup/"+path))
	}
	if got := cgroup("memory/memory.limit_in_bytes"); got != "47185920" {
		t.Errorf("memory limit inside the container %s, want 47185920 (45Mi)", got)
	}

	patched := time.Now()
	admin.must("patch", "pod", name, "--subresource", "resize", "-p",
		`{"spec":{"containers":[{"name":"kubia","resources":{"requests":{"cpu":"25m","memory":"40Mi"},"limits":{"cpu":"35m","memory":"50Mi"}}}]}}`)
	resized := waitResized(t, admin, name, 60*time.Second)
	t.Logf("resize applied and reported %s after kubectl patch", time.Since(patched).Round(time.Millisecond))
	checkSameContainer(t, first, resized)
	for path, want := range map[string]string{"memory/memory.limit_in_bytes": "52428800", "cpu/cpu.cfs_quota_us": "3500", "cpu/cpu.shares": "25"} {
		if got := cgroup(path); got != want {
			t.Errorf("%s inside the container is %s, want %s", path, got, want)
		}
	}

	// The resize lives in the runtime: a restarted agent keeps it.
	agent.Signal(syscall.SIGTERM)
	agent.Start()
	time.Sleep(5 * time.Second)
	checkSameContainer(t, first, waitResized(t, admin, name, 30*time.Second))

	// No room beside another pod: pending, Deferred, nothing changes; the
	// resize is applied once that pod is gone. (More than the node has at
	// all, Infeasible, kube-apiserver 1.37 refuses itself.)
	hog := framework.UniqueName("hog")
	objects.pod(hog)
	createFrom(t, admin, scheduledPod(hog, agent.NodeName, agent.Env.KubiaImage, `    resources:
      requests: {cpu: 1500m}
`))
	waitWide(t, admin, hog, agent.NodeName, 90*time.Second)
	admin.must("patch", "pod", name, "--subresource", "resize", "-p",
		`{"spec":{"containers":[{"name":"kubia","resources":{"requests":{"cpu":"600m"},"limits":{"cpu":"600m"}}}]}}`)
	var pending *v1.Pod
	framework.WaitUntil(t, 30*time.Second, "the resize with no room pending, Deferred", func() bool {
		pending = getMirror(t, admin, name)
		c := condition(pending, v1.PodResizePending)
		return pending.Status.ObservedGeneration == pending.Generation && c != nil && c.Reason == v1.PodReasonDeferred
	})
	t.Logf("deferred resize: %s", condition(pending, v1.PodResizePending).Message)
	checkSameContainer(t, first, pending)
	if r := pending.Status.ContainerStatuses[0].Resources; r == nil || r.Limits.Cpu().MilliValue() != 35 {
		t.Errorf("status resources of a pending resize %+v, want the applied 35m CPU limit", r)
	}
	if got := cgroup("cpu/cpu.cfs_quota_us"); got != "3500" {
		t.Errorf("cpu.cfs_quota_us inside the container is %s while the resize is deferred, want 3500 still", got)
	}
	freed := time.Now()
	admin.must("delete", "pod", hog, "--timeout=60s")
	framework.WaitUntil(t, 20*time.Second, "the deferred resize applied once the other pod is gone", func() bool {
		p := getMirror(t, admin, name)
		cs := p.Status.ContainerStatuses[0]
		return condition(p, v1.PodResizePending) == nil && condition(p, v1.PodResizeInProgress) == nil &&
			cs.Resources != nil && cs.Resources.Limits.Cpu().MilliValue() == 600
	})
	t.Logf("deferred resize applied %s after the other pod's delete returned", time.Since(freed).Round(time.Millisecond))
	if got := cgroup("cpu/cpu.cfs_quota_us"); got != "60000" {
		t.Errorf("cpu.cfs_quota_us inside the container is %s, want 60000 (600m)", got)
	}
	checkSameContainer(t, first, getMirror(t, admin, name))
}

// waitResized waits until the pod's status shows the resize to 25m/40Mi
// requests and 35m/50Mi limits allocated and applied, its generation
// observed and no resize condition.
func waitResized(t *testing.T, admin cli, name string, timeout time.Duration) *v1.Pod {
	t.Helper()
	var p *v1.Pod
	framework.WaitUntil(t, timeout, "pod "+name+" resized to 35m CPU and 50Mi in its status", func() bool {
		p = getMirror(t, admin, name)
		if p == nil || p.Status.ObservedGeneration != p.Generation || len(p.Status.ContainerStatuses) != 1 ||
			condition(p, v1.PodResizePending) != nil || condition(p, v1.PodResizeInProgress) != nil {
			return false
		}
		cs := p.Status.ContainerStatuses[0]
		return cs.Resources != nil && cs.Resources.Limits.Cpu().MilliValue() == 35 && cs.Resources.Limits.Memory().Value() == 50<<20 &&
			cs.AllocatedResources.Cpu().MilliValue() == 25 && cs.AllocatedResources.Memory().Value() == 40<<20
	})
	return p
}

// checkSameContainer fails unless now runs first's container, never
// restarted.
func checkSameContainer(t *testing.T, first, now *v1.Pod) {
	t.Helper()
	was, is := first.Status.ContainerStatuses[0], now.Status.ContainerStatuses[0]
	if is.ContainerID != was.ContainerID || is.RestartCount != 0 || is.State.Running == nil {
		t.Errorf("container %s, restarts %d, running %v: want %s running, never restarted", is.ContainerID, is.RestartCount, is.State.Running != nil, was.ContainerID)
	}
}

func condition(p *v1.Pod, t v1.PodConditionType) *v1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
