package kubelet

import (
	"reflect"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// A pod its source reports finished is terminated, not removed, and never
// started again: whatever its restart policy, whatever the runtime lost.
func TestPlanFinishedPod(t *testing.T) {
	stopped := func(id string) observedSandbox { s := readySandbox(id, 0); s.Ready = false; return s }
	older := ctr("c0", "s1", "a", exited, 0, 1)
	older.CreatedAt = planNow.Add(-2 * time.Minute)
	cases := []struct {
		name       string
		policy     v1.RestartPolicy
		sandboxes  []observedSandbox
		containers []observedContainer
		kill       []string
		stop       []string
		remove     []string
	}{
		{name: "rejected before it ran: nothing to create", policy: v1.RestartPolicyAlways},
		{name: "runtime lost its containers: no new sandbox", policy: v1.RestartPolicyNever, sandboxes: []observedSandbox{stopped("s1")}},
		{name: "finished and stopped: everything kept", policy: v1.RestartPolicyNever, sandboxes: []observedSandbox{stopped("s1")},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 0, 0)}},
		{name: "failed under OnFailure by the API's word: no restart", policy: v1.RestartPolicyOnFailure, sandboxes: []observedSandbox{stopped("s1")},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 1, 3), older}, remove: []string{"c0"}},
		{name: "still running: killed, sandbox stopped, kept", policy: v1.RestartPolicyAlways, sandboxes: []observedSandbox{readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0)}, kill: []string{"c1"}, stop: []string{"s1"}},
		{name: "created, never started: killed and removed", policy: v1.RestartPolicyNever, sandboxes: []observedSandbox{readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", created, 0, 0)}, kill: []string{"c1"}, stop: []string{"s1"}, remove: []string{"c1"}},
		{name: "exited in a ready sandbox: the sandbox stops", policy: v1.RestartPolicyAlways, sandboxes: []observedSandbox{readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 0, 0)}, stop: []string{"s1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observedPod{Sandboxes: tc.sandboxes, Containers: tc.containers}
			obs.sortNewestFirst()
			a := computePodActions(planInput{Pod: testPod(tc.policy, nil, "a"), Finished: true, Observed: obs, Now: planNow})
			if !a.Terminal || a.Deleted {
				t.Errorf("Terminal %v Deleted %v: want a terminal pod, not a deleted one", a.Terminal, a.Deleted)
			}
			if a.CreateSandbox || len(a.InitsToStart) > 0 || len(a.ContainersToStart) > 0 || a.RequeueAfter != 0 {
				t.Errorf("plan %+v starts something of a finished pod", a)
			}
			var kill []string
			for _, k := range a.ContainersToKill {
				kill = append(kill, k.ID)
			}
			if !reflect.DeepEqual(kill, tc.kill) || !reflect.DeepEqual(a.SandboxesToStop, tc.stop) || !reflect.DeepEqual(a.ContainersToRemove, tc.remove) {
				t.Errorf("kill %v stop %v remove %v: want %v %v %v", kill, a.SandboxesToStop, a.ContainersToRemove, tc.kill, tc.stop, tc.remove)
			}
			if len(a.SandboxesToRemove) > 0 {
				t.Errorf("sandboxes %v removed: a finished pod keeps its sandbox until it is deleted", a.SandboxesToRemove)
			}
		})
	}
}
