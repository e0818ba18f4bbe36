package kubelet

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/prober"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// A container killed by its liveness probe is restarted under the crash
// back-off: at once while the back-off is clear, held in CrashLoopBackOff
// for the whole delay once it is not. The kill happens either way.
func TestPlanLivenessRestartFollowsTheCrashBackOff(t *testing.T) {
	failed := func(id string) (prober.Restart, bool) {
		return prober.Restart{Probe: prober.Liveness, Message: "Container a failed liveness probe, will be restarted"}, id == "c1"
	}
	for _, tc := range []struct {
		name        string
		policy      v1.RestartPolicy
		delay       time.Duration
		wantStart   bool
		wantRequeue time.Duration
	}{
		{name: "first failure restarts at once", policy: v1.RestartPolicyAlways, wantStart: true},
		{name: "under back-off waits the whole delay", policy: v1.RestartPolicyAlways, delay: 20 * time.Second, wantRequeue: 20 * time.Second},
		{name: "OnFailure is held alike", policy: v1.RestartPolicyOnFailure, delay: 10 * time.Second, wantRequeue: 10 * time.Second},
		{name: "Never kills only", policy: v1.RestartPolicyNever, delay: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := testPod(tc.policy, nil, "a")
			c1 := ctr("c1", "s1", "a", running, 2, 0)
			c1.Hash = translate.ContainerHash(&pod.Spec.Containers[0])
			obs := &observedPod{Sandboxes: []observedSandbox{readySandbox("s1", 0)}, Containers: []observedContainer{c1}}
			a := computePodActions(planInput{Pod: pod, Observed: obs, Now: planNow, LivenessFailed: failed,
				RestartDelay: func(string) time.Duration { return tc.delay }})
			if len(a.ContainersToKill) != 1 || a.ContainersToKill[0].ID != "c1" {
				t.Fatalf("kills %+v, want c1", a.ContainersToKill)
			}
			if started := len(a.ContainersToStart) == 1; started != tc.wantStart {
				t.Fatalf("restarted now: %v, want %v (%+v)", started, tc.wantStart, a.ContainersToStart)
			}
			if tc.wantStart && (a.ContainersToStart[0].BackoffKey == "" || a.ContainersToStart[0].RestartCount != 3) {
				t.Fatalf("the restart must count as restart 3 and move the back-off on: %+v", a.ContainersToStart[0])
			}
			if a.RequeueAfter != tc.wantRequeue {
				t.Fatalf("requeue after %s, want %s", a.RequeueAfter, tc.wantRequeue)
			}
			held := a.Waiting["a"]
			if wantHeld := tc.wantRequeue > 0; (held.Reason == ReasonCrashLoopBackOff) != wantHeld ||
				wantHeld && !strings.HasPrefix(held.Message, "back-off "+tc.delay.String()+" restarting failed container=a pod=web_default") {
				t.Fatalf("waiting %+v, want CrashLoopBackOff: %v", held, wantHeld)
			}
		})
	}
}
