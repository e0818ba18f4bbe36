package kubelet

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/prober"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

var planNow = time.Unix(1_800_000_000, 0)

const (
	running = runtimeapi.ContainerState_CONTAINER_RUNNING
	exited  = runtimeapi.ContainerState_CONTAINER_EXITED
	created = runtimeapi.ContainerState_CONTAINER_CREATED
	unknown = runtimeapi.ContainerState_CONTAINER_UNKNOWN
)

func testPod(policy v1.RestartPolicy, inits []string, apps ...string) *v1.Pod {
	pod := &v1.Pod{}
	pod.Name, pod.Namespace, pod.UID = "web", "default", types.UID("uid-1")
	pod.Spec.RestartPolicy = policy
	for _, n := range inits {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, v1.Container{Name: n, Image: "img"})
	}
	for _, n := range apps {
		pod.Spec.Containers = append(pod.Spec.Containers, v1.Container{Name: n, Image: "img"})
	}
	return pod
}

func ctr(id, sandbox, name string, state runtimeapi.ContainerState, restarts int, exit int32) observedContainer {
	c := observedContainer{ID: id, SandboxID: sandbox, Name: name, State: state, RestartCount: restarts, ExitCode: exit,
		Type: translate.ContainerTypeApp, StartedAt: planNow.Add(-time.Minute), CreatedAt: planNow.Add(-time.Minute + time.Duration(restarts)*time.Second)}
	if state == exited {
		c.FinishedAt = planNow.Add(-5 * time.Second)
	}
	return c
}

func readySandbox(id string, attempt uint32) observedSandbox {
	return observedSandbox{ID: id, Attempt: attempt, Ready: true, IPs: []string{"10.88.0.5"}}
}

func plan(pod *v1.Pod, sandboxes []observedSandbox, containers []observedContainer, delay time.Duration) podActions {
	obs := &observedPod{Sandboxes: sandboxes, Containers: containers}
	obs.sortNewestFirst()
	return computePodActions(planInput{Pod: pod, Observed: obs, Now: planNow,
		RestartDelay: func(string) time.Duration { return delay }})
}

func startedNames(a podActions) []string {
	var names []string
	for _, s := range a.ContainersToStart {
		names = append(names, s.Spec.Name)
	}
	return names
}

func TestPlanNewPodCreatesSandboxAndStartsEveryContainer(t *testing.T) {
	a := plan(testPod(v1.RestartPolicyAlways, nil, "a", "b"), nil, nil, 0)
	if !a.CreateSandbox || a.SandboxAttempt != 0 {
		t.Fatalf("want a new sandbox with attempt 0, got %+v", a)
	}
	if got := startedNames(a); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("want a and b started together, got %v", got)
	}
}

func TestPlanRunningPodNeedsNothing(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	c := ctr("c1", "s1", "a", running, 0, 0)
	c.Hash = translate.ContainerHash(&pod.Spec.Containers[0])
	a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{c}, 0)
	if a.CreateSandbox || len(a.ContainersToStart)+len(a.ContainersToKill)+len(a.ContainersToRemove) != 0 {
		t.Fatalf("adopted running pod must be left alone, got %+v", a)
	}
}

func TestPlanInitContainersRunOneAtATimeInOrder(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, []string{"init1", "init2"}, "app")
	sb := []observedSandbox{readySandbox("s1", 0)}

	a := plan(pod, nil, nil, 0)
	if len(a.InitsToStart) != 1 || a.InitsToStart[0].Spec.Name != "init1" || len(a.ContainersToStart) != 0 {
		t.Fatalf("fresh pod: want only init1, got %+v", a)
	}
	running1 := ctr("i1", "s1", "init1", running, 0, 0)
	if a = plan(pod, sb, []observedContainer{running1}, 0); len(a.InitsToStart) != 0 || len(a.ContainersToStart) != 0 {
		t.Fatalf("init1 running: want nothing started, got %+v", a)
	}
	done1 := ctr("i1", "s1", "init1", exited, 0, 0)
	if a = plan(pod, sb, []observedContainer{done1}, 0); len(a.InitsToStart) != 1 || a.InitsToStart[0].Spec.Name != "init2" {
		t.Fatalf("init1 done: want init2, got %+v", a)
	}
	done2 := ctr("i2", "s1", "init2", exited, 0, 0)
	if a = plan(pod, sb, []observedContainer{done1, done2}, 0); len(a.ContainersToStart) != 1 || len(a.InitsToStart) != 0 {
		t.Fatalf("inits done: want app started, got %+v", a)
	}
}

func TestPlanRestartPolicies(t *testing.T) {
	cases := []struct {
		policy      v1.RestartPolicy
		exitCode    int32
		wantRestart bool
		wantTerm    bool
	}{
		{v1.RestartPolicyAlways, 0, true, false},
		{v1.RestartPolicyAlways, 1, true, false},
		{v1.RestartPolicyOnFailure, 1, true, false},
		{v1.RestartPolicyOnFailure, 0, false, true},
		{v1.RestartPolicyNever, 1, false, true},
		{v1.RestartPolicyNever, 0, false, true},
	}
	for _, tc := range cases {
		pod := testPod(tc.policy, nil, "a")
		a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{ctr("c1", "s1", "a", exited, 0, tc.exitCode)}, 0)
		if restarted := len(a.ContainersToStart) == 1; restarted != tc.wantRestart {
			t.Errorf("%s exit %d: restarted=%v, want %v", tc.policy, tc.exitCode, restarted, tc.wantRestart)
		}
		if a.Terminal != tc.wantTerm {
			t.Errorf("%s exit %d: terminal=%v, want %v", tc.policy, tc.exitCode, a.Terminal, tc.wantTerm)
		}
		if tc.wantRestart && a.ContainersToStart[0].RestartCount != 1 {
			t.Errorf("%s: restart count %d, want 1", tc.policy, a.ContainersToStart[0].RestartCount)
		}
	}
}

func TestPlanCrashLoopBackOffHoldsRestartUntilDelayPassed(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	dead := ctr("c1", "s1", "a", exited, 3, 1) // finished 5 s ago
	a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{dead}, 20*time.Second)
	if len(a.ContainersToStart) != 0 {
		t.Fatalf("within back-off: want no start, got %v", startedNames(a))
	}
	if w := a.Waiting["a"]; w.Reason != ReasonCrashLoopBackOff {
		t.Fatalf("want CrashLoopBackOff, got %+v", w)
	}
	if a.RequeueAfter != 15*time.Second {
		t.Fatalf("want requeue when back-off ends (15s), got %s", a.RequeueAfter)
	}
	a = plan(pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{dead}, 4*time.Second)
	if len(a.ContainersToStart) != 1 || a.ContainersToStart[0].RestartCount != 4 || a.ContainersToStart[0].BackoffKey == "" {
		t.Fatalf("back-off over: want restart #4 with back-off key, got %+v", a.ContainersToStart)
	}
}

func TestPlanDeadSandboxStartsOverInNewSandbox(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	dead := observedSandbox{ID: "s1", Attempt: 2}
	a := plan(pod, []observedSandbox{dead}, []observedContainer{ctr("c1", "s1", "a", running, 4, 0)}, 0)
	if !a.CreateSandbox || a.SandboxAttempt != 3 {
		t.Fatalf("want new sandbox attempt 3, got %+v", a)
	}
	if len(a.ContainersToKill) != 1 || a.ContainersToStart[0].RestartCount != 5 {
		t.Fatalf("want old container killed and restart count continued (5), got %+v", a)
	}
}

func TestPlanNeverPodGetsNoNewSandboxAfterItRan(t *testing.T) {
	pod := testPod(v1.RestartPolicyNever, nil, "a")
	a := plan(pod, []observedSandbox{{ID: "s1"}}, []observedContainer{ctr("c1", "s1", "a", exited, 0, 0)}, 0)
	if a.CreateSandbox || !a.Terminal {
		t.Fatalf("Never pod that ran: want terminal and no sandbox, got %+v", a)
	}
}

// TestPlanDeletionStopsThenRemoves: a deleted pod's containers are
// stopped first and removed only once nothing runs, so their exit codes
// can still be read for the pod's final status; a container that never
// ran does not hold the removal back.
func TestPlanDeletionStopsThenRemoves(t *testing.T) {
	obs := &observedPod{
		Sandboxes:  []observedSandbox{readySandbox("s1", 0)},
		Containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0), ctr("c0", "s1", "a", exited, 0, 1)},
	}
	a := computePodActions(planInput{Pod: nil, Observed: obs, Now: planNow})
	if !a.Deleted || len(a.ContainersToKill) != 1 || len(a.SandboxesToStop) != 1 || len(a.ContainersToRemove) != 0 || len(a.SandboxesToRemove) != 0 {
		t.Fatalf("while something runs, deletion must kill and stop it and remove nothing, got %+v", a)
	}
	obs.Sandboxes[0].Ready = false
	obs.Containers[0].State = exited
	obs.Containers = append(obs.Containers, ctr("c2", "s1", "b", runtimeapi.ContainerState_CONTAINER_CREATED, 0, 0))
	a = computePodActions(planInput{Pod: nil, Observed: obs, Now: planNow})
	if !a.Deleted || len(a.SandboxesToStop) != 0 || len(a.ContainersToRemove) != 3 || len(a.SandboxesToRemove) != 1 {
		t.Fatalf("once nothing runs, deletion must remove everything, got %+v", a)
	}
}

func TestPlanKeepsOneDeadInstancePerContainer(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	c := ctr("c3", "s1", "a", running, 3, 0)
	c.Hash = translate.ContainerHash(&pod.Spec.Containers[0])
	containers := []observedContainer{c, ctr("c2", "s1", "a", exited, 2, 1), ctr("c1", "s1", "a", exited, 1, 1), ctr("c0", "s1", "a", exited, 0, 1)}
	a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, containers, 0)
	if len(a.ContainersToRemove) != 2 || a.ContainersToRemove[0] != "c1" || a.ContainersToRemove[1] != "c0" {
		t.Fatalf("want the two oldest dead instances removed, got %v", a.ContainersToRemove)
	}
}

func TestPlanCreatedButNeverStartedContainerIsReplaced(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	cases := []struct {
		name         string
		containers   []observedContainer
		wantRestarts int
	}{
		// The agent died between CreateContainer and StartContainer: the
		// instance never ran, so its replacement is no restart.
		{"first instance", []observedContainer{ctr("c1", "s1", "a", created, 0, 0)}, 0},
		{"after two restarts", []observedContainer{ctr("c0", "s1", "a", exited, 1, 1), ctr("c1", "s1", "a", created, 2, 0)}, 2},
		// An instance in an unknown state may have run.
		{"unknown state", []observedContainer{ctr("c1", "s1", "a", runtimeapi.ContainerState_CONTAINER_UNKNOWN, 0, 0)}, 1},
	}
	for _, tc := range cases {
		incomplete := tc.containers[len(tc.containers)-1].ID // before plan sorts them
		a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, tc.containers, 0)
		if !contains(a.ContainersToRemove, incomplete) || len(a.ContainersToStart) != 1 {
			t.Fatalf("%s: want %s removed and the container started anew, got %+v", tc.name, incomplete, a)
		}
		if got := a.ContainersToStart[0].RestartCount; got != tc.wantRestarts {
			t.Errorf("%s: replacement has restart count %d, want %d", tc.name, got, tc.wantRestarts)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestPlanChangedSpecRestartsContainer(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	c := ctr("c1", "s1", "a", running, 0, 0)
	c.Hash = "stale"
	a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{c}, 0)
	if len(a.ContainersToKill) != 1 || len(a.ContainersToStart) != 1 {
		t.Fatalf("hash mismatch: want kill + start, got %+v", a)
	}
}

func TestPlanLivenessFailureKillsAndRestartsUnlessNever(t *testing.T) {
	grace := int64(3)
	failed := func(id string) (prober.Restart, bool) {
		return prober.Restart{Probe: prober.Liveness, Message: "Container a failed liveness probe, will be restarted", GracePeriodSeconds: &grace}, id == "c1"
	}
	for _, policy := range []v1.RestartPolicy{v1.RestartPolicyAlways, v1.RestartPolicyOnFailure, v1.RestartPolicyNever} {
		pod := testPod(policy, nil, "a", "b")
		a1, b1 := ctr("c1", "s1", "a", running, 2, 0), ctr("c2", "s1", "b", running, 0, 0)
		a1.Hash, b1.Hash = translate.ContainerHash(&pod.Spec.Containers[0]), translate.ContainerHash(&pod.Spec.Containers[1])
		obs := &observedPod{Sandboxes: []observedSandbox{readySandbox("s1", 0)}, Containers: []observedContainer{a1, b1}}
		a := computePodActions(planInput{Pod: pod, Observed: obs, Now: planNow, LivenessFailed: failed})
		if len(a.ContainersToKill) != 1 || a.ContainersToKill[0].ID != "c1" || *a.ContainersToKill[0].GracePeriod != 3 ||
			a.ContainersToKill[0].Reason != "Container a failed liveness probe, will be restarted" {
			t.Fatalf("%s: kills %+v, want only c1 with the probe's reason and grace", policy, a.ContainersToKill)
		}
		started := startedNames(a)
		if policy == v1.RestartPolicyNever && len(started) != 0 {
			t.Fatalf("Never: restarted %v", started)
		}
		if policy != v1.RestartPolicyNever && (len(started) != 1 || started[0] != "a" || a.ContainersToStart[0].RestartCount != 3) {
			t.Fatalf("%s: starts %+v, want a with restart count 3", policy, a.ContainersToStart)
		}
	}
}

// TestPlanDeletionAtOnceForAPodWithNoFinalStatus: a static pod has no
// final status to tell, so its deletion stops and removes in one plan,
// without a look at the stopped containers in between.
func TestPlanDeletionAtOnceForAPodWithNoFinalStatus(t *testing.T) {
	obs := &observedPod{
		Sandboxes:  []observedSandbox{readySandbox("s1", 0)},
		Containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0), ctr("c0", "s1", "a", exited, 0, 1)},
	}
	a := planDeletionAtOnce(obs)
	if !a.Deleted || len(a.ContainersToKill) != 1 || len(a.SandboxesToStop) != 1 || len(a.ContainersToRemove) != 2 || len(a.SandboxesToRemove) != 1 {
		t.Fatalf("want c1 killed, s1 stopped, both containers and s1 removed in one plan, got %+v", a)
	}
	obs.Sandboxes[0].Ready = false
	obs.Containers[0].State = exited
	if a := planDeletionAtOnce(obs); len(a.ContainersToRemove) != 2 || len(a.SandboxesToRemove) != 1 || len(a.ContainersToKill) != 0 {
		t.Fatalf("with nothing running, want the removals only, got %+v", a)
	}
}

// A crash-looping container whose pod is updated to another image restarts
// at once, its back-off begun anew, as the kubelet keys back-off by the
// container's name and image (the suite's "back-off timer reset on image
// update" test).
func TestPlanImageUpdateResetsCrashBackOff(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.Containers[0].Image = "busybox"
	crashes := newBackoff(10*time.Second, 5*time.Minute, func() time.Time { return planNow })
	dead := ctr("c1", "s1", "a", exited, 3, 1)
	planFor := func(p *v1.Pod) podActions {
		obs := &observedPod{Sandboxes: []observedSandbox{readySandbox("s1", 0)}, Containers: []observedContainer{dead}}
		return computePodActions(planInput{Pod: p, Observed: obs, Now: planNow, RestartDelay: crashes.Delay})
	}
	first := planFor(pod)
	if len(first.ContainersToStart) != 1 || first.ContainersToStart[0].BackoffKey == "" {
		t.Fatalf("first crash: want a restart with a back-off key, got %+v", first)
	}
	for range 3 { // three restarts, as start.go counts each
		crashes.Next(first.ContainersToStart[0].BackoffKey)
	}
	if held := planFor(pod); len(held.ContainersToStart) != 0 || held.Waiting["a"].Reason != ReasonCrashLoopBackOff {
		t.Fatalf("after three crashes: want a held in CrashLoopBackOff, got %+v", held)
	}
	updated := pod.DeepCopy()
	updated.Spec.Containers[0].Image = "nginx"
	if got := planFor(updated); len(got.ContainersToStart) != 1 || len(got.Waiting) != 0 {
		t.Fatalf("image updated: want a restarted at once, got %+v", got)
	}
}
