package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// A pod updated to another image reports the new generation as observed
// at once, while its old container still takes its grace period to stop,
// as the kubelet records a pod's status before it acts on the spec (the
// suite's pod generation test gives it 20 s).
func TestUpdatedPodObservesItsGenerationBeforeTheRestart(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Generation = 1
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	gate := make(chan struct{})
	rt.mu.Lock()
	rt.stopGate = gate
	rt.mu.Unlock()
	defer close(gate)
	updated := pod.DeepCopy()
	updated.Generation = 2
	updated.Spec.Containers[0].Image = "img-2"
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: updated}}})
	eventually(t, "generation 2 observed while the old container stops", func() bool {
		_, view := viewPhase(k, "web")
		return view != nil && view.Status.ObservedGeneration == 2
	})
	if n := rt.callCount("StopContainer"); n != 0 {
		t.Fatalf("StopContainer returned %d times; the test needs it held", n)
	}
}
