package kubelet

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// agentStart is when the agent of these plans began: a minute before
// planNow, after the instances ctr makes were created.
var agentStart = planNow.Add(-30 * time.Second)

// neverStarted is an instance that exited without ever running, with the
// StartError a canceled StartContainer leaves; created is when.
func neverStarted(id, name string, restarts int, created time.Time) observedContainer {
	c := ctr(id, "s1", name, exited, restarts, 128)
	c.StartedAt, c.CreatedAt, c.Reason = time.Time{}, created, "StartError"
	return c
}

func planSince(pod *v1.Pod, containers []observedContainer, delay time.Duration) podActions {
	obs := &observedPod{Sandboxes: []observedSandbox{readySandbox("s1", 0)}, Containers: containers}
	obs.sortNewestFirst()
	return computePodActions(planInput{Pod: pod, Observed: obs, Now: planNow, AgentStart: agentStart,
		RestartDelay: func(string) time.Duration { return delay }})
}

func TestPlanInstanceCutShortByAnEarlierAgentIsNoRestart(t *testing.T) {
	before, after := agentStart.Add(-time.Second), agentStart.Add(time.Second)
	ran := ctr("c0", "s1", "a", exited, 0, 1)
	ran.CreatedAt = before
	cases := []struct {
		name        string
		policy      v1.RestartPolicy
		containers  []observedContainer
		wantStart   bool
		wantCount   int
		wantWaiting bool // held in CrashLoopBackOff
		wantTerm    bool
	}{
		{"cut short before this agent", v1.RestartPolicyAlways, []observedContainer{neverStarted("c1", "a", 0, before)}, true, 0, false, false},
		{"cut short after two restarts", v1.RestartPolicyAlways, []observedContainer{ran, neverStarted("c1", "a", 1, before)}, true, 1, false, false},
		{"restartPolicy Never, cut short", v1.RestartPolicyNever, []observedContainer{neverStarted("c1", "a", 0, before)}, true, 0, false, false},
		{"lost mid-creation", v1.RestartPolicyAlways, []observedContainer{lostMidCreation("c1", "a")}, true, 0, false, false},
		// This agent's own failed start is a failure: counted, backed off.
		{"start failed under this agent", v1.RestartPolicyAlways, []observedContainer{neverStarted("c1", "a", 0, after)}, false, 0, true, false},
		{"ran and exited before this agent", v1.RestartPolicyAlways, []observedContainer{ran}, false, 0, true, false},
		{"restartPolicy Never, ran", v1.RestartPolicyNever, []observedContainer{ran}, false, 0, false, true},
	}
	for _, tc := range cases {
		a := planSince(testPod(tc.policy, nil, "a"), tc.containers, time.Minute)
		_, waiting := a.Waiting["a"]
		started := len(a.ContainersToStart) == 1
		if started != tc.wantStart || waiting != tc.wantWaiting || a.Terminal != tc.wantTerm {
			t.Errorf("%s: started %v, waiting %v, terminal %v; want %v, %v, %v (%+v)",
				tc.name, started, waiting, a.Terminal, tc.wantStart, tc.wantWaiting, tc.wantTerm, a)
			continue
		}
		if started && a.ContainersToStart[0].RestartCount != tc.wantCount {
			t.Errorf("%s: replacement has restart count %d, want %d", tc.name, a.ContainersToStart[0].RestartCount, tc.wantCount)
		}
	}
}

func TestInterruptedAsCreatedLeavesItsInputAlone(t *testing.T) {
	obs := &observedPod{Containers: []observedContainer{neverStarted("c1", "a", 0, agentStart.Add(-time.Second))}}
	settled := interruptedAsCreated(obs, agentStart)
	if obs.Containers[0].State != exited || settled.Containers[0].State != created {
		t.Fatalf("input %v, settled %v: want the input exited and the copy created", obs.Containers[0].State, settled.Containers[0].State)
	}
	if untouched := (&observedPod{Containers: []observedContainer{ctr("c0", "s1", "a", running, 0, 0)}}); interruptedAsCreated(untouched, agentStart) != untouched {
		t.Error("an observation with nothing cut short was copied")
	}
}

// lostMidCreation is what containerd reloads for a container whose
// CreateContainer it was killed in: an unknown state and no times.
func lostMidCreation(id, name string) observedContainer {
	c := ctr(id, "s1", name, unknown, 0, 255)
	c.StartedAt, c.CreatedAt, c.Reason = time.Time{}, time.Time{}, "Unknown"
	return c
}
