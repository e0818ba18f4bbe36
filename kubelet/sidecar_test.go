package kubelet

import (
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

func sidecarStatus(p *v1.Pod, name string) *v1.ContainerStatus {
	return statusOf(p.Status.InitContainerStatuses, name)
}

func podRunsAll(k *Kubelet) bool {
	phase, p := viewPhase(k, "web")
	if phase != v1.PodRunning || !allContainersRunning(p.Status) {
		return false
	}
	for _, cs := range p.Status.InitContainerStatuses {
		if cs.State.Running == nil {
			return false
		}
	}
	return true
}

// TestSidecarsStopAfterAppContainersInReverseOrder: a deleted pod's app
// containers stop first, then its sidecars, the last declared first, as
// the kubelet's termination ordering does.
func TestSidecarsStopAfterAppContainersInReverseOrder(t *testing.T) {
	rt := newFakeRuntime()
	rt.stopDelay = map[string]time.Duration{"app": 200 * time.Millisecond, "s2": 100 * time.Millisecond}
	k := startKubelet(t, rt)
	pod := sidecarPod(v1.RestartPolicyAlways, []string{"s1", "s2"}, []string{"s1", "s2"}, "app")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "sidecars and app running", func() bool { return podRunsAll(k) })

	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "removed", func() bool { s, c := rt.count(""); return s == 0 && c == 0 })
	rt.mu.Lock()
	defer rt.mu.Unlock()
	at := func(event string) int { return slices.Index(rt.stopLog, event) }
	if at("begin s2") < at("end app") || at("begin s1") < at("end s2") || at("end app") < 0 {
		t.Fatalf("stops %v: want app stopped, then s2, then s1", rt.stopLog)
	}
	for _, grace := range rt.stopTimeouts {
		if grace != 30 {
			t.Errorf("StopContainer grace periods %v, want the pod's 30 s each (the waits took under a second)", rt.stopTimeouts)
			break
		}
	}
}

// TestSidecarPodWithRestartPolicyNeverCompletes: a Job-like pod finishes
// Succeeded when its app container exits 0; its sidecar, restarted while
// the app ran although the policy is Never, is then stopped and its exit
// code does not fail the pod.
func TestSidecarPodWithRestartPolicyNeverCompletes(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := sidecarPod(v1.RestartPolicyNever, []string{"side"}, []string{"side"}, "app")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "sidecar and app running", func() bool { return podRunsAll(k) })

	rt.exit("side", 1)
	eventually(t, "sidecar restarted under restartPolicy Never", func() bool {
		_, p := viewPhase(k, "web")
		cs := sidecarStatus(p, "side")
		return cs != nil && cs.RestartCount == 1 && cs.State.Running != nil
	})
	rt.exit("app", 0)
	eventually(t, "pod Succeeded with its sidecar stopped", func() bool {
		phase, p := viewPhase(k, "web")
		cs := sidecarStatus(p, "side")
		return phase == v1.PodSucceeded && cs != nil && cs.State.Terminated != nil
	})
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !slices.Contains(rt.stopLog, "end side") {
		t.Fatalf("stops %v: want the sidecar stopped", rt.stopLog)
	}
}
