package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// A pod being stopped turns not ready at once, while its containers still
// take their grace period, as the kubelet reports it (the suite's "should
// mark readiness on pods to false ... while pod is in progress of
// terminating"): endpoints stop sending it traffic while it drains.
func TestTerminatingPodIsNotReadyWhileItStops(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	ready := func() (bool, bool) {
		view, ok := k.GetPod("default", "web")
		if !ok {
			return false, false
		}
		for _, c := range view.Pod.Status.Conditions {
			if c.Type == v1.PodReady {
				return c.Status == v1.ConditionTrue, view.Terminating
			}
		}
		return false, view.Terminating
	}
	eventually(t, "Ready", func() bool { r, _ := ready(); return r })

	gate := make(chan struct{})
	rt.mu.Lock()
	rt.stopGate = gate
	rt.mu.Unlock()
	defer close(gate)
	k.SetSourcePods(SourceUpdate{Source: SourceAPI}) // deleted in the API server
	eventually(t, "not Ready while its container still stops", func() bool {
		r, terminating := ready()
		return terminating && !r
	})
	if n := rt.callCount("RemovePodSandbox"); n != 0 {
		t.Fatalf("the sandbox went before the container stopped")
	}
}
