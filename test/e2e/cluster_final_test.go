//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterDeletedPodShowsHowItEnded: a pod held by a finalizer stays
// in the API server after `kubectl delete`; once the node has stopped it,
// `kubectl get pod -o json` shows its container Terminated (exit code,
// finish time), a terminal phase that agrees with the exit code and Ready
// False, as the kubelet sends before its final delete. With the finalizer
// removed, the pod is gone. Skipped without test/testbed/env.cluster.
func TestClusterDeletedPodShowsHowItEnded(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	name := framework.UniqueName("held")
	objects.pod(name)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	createFrom(t, admin, withFinalizer(scheduledPod(name, agent.NodeName, agent.Env.KubiaImage, ""), "minikubelet.test/hold"))
	t.Cleanup(func() {
		_, _, _ = admin.run("", "patch", "pod", name, "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
	})
	running := waitWide(t, admin, name, agent.NodeName, 90*time.Second)

	deleted := time.Now()
	admin.must("delete", "pod", name, "--wait=false")
	var p *v1.Pod
	framework.WaitUntil(t, 60*time.Second, "the deleted pod's container Terminated in `kubectl get pod -o json`", func() bool {
		p = getMirror(t, admin, name)
		return p != nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Terminated != nil
	})
	t.Logf("container shown terminated %s after kubectl delete", time.Since(deleted).Round(time.Millisecond))
	cs := p.Status.ContainerStatuses[0]
	term := cs.State.Terminated
	if term.ContainerID != running.Status.ContainerStatuses[0].ContainerID || term.StartedAt.IsZero() || term.FinishedAt.Before(&term.StartedAt) || term.Reason == "" {
		t.Errorf("terminated state %+v: want the container that ran, with its start, finish and reason", term)
	}
	wantPhase := v1.PodSucceeded
	if term.ExitCode != 0 {
		wantPhase = v1.PodFailed
	}
	if p.Status.Phase != wantPhase || cs.Ready || podCondition(p, v1.PodReady) != v1.ConditionFalse {
		t.Errorf("phase %s, container ready %v, Ready condition %s: want %s (exit code %d), not ready",
			p.Status.Phase, cs.Ready, podCondition(p, v1.PodReady), wantPhase, term.ExitCode)
	}
	t.Logf("final status: phase %s, exit code %d, reason %s", p.Status.Phase, term.ExitCode, term.Reason)
	checkNoSandbox(t, agent, string(running.UID))

	admin.must("patch", "pod", name, "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
	framework.WaitUntil(t, 30*time.Second, "pod gone once its finalizer is removed", func() bool {
		return getMirror(t, admin, name) == nil
	})
}

// withFinalizer adds a finalizer to a pod manifest of scheduledPod.
func withFinalizer(manifest, finalizer string) string {
	return strings.Replace(manifest, "metadata:\n", "metadata:\n  finalizers:\n  - "+finalizer+"\n", 1)
}
