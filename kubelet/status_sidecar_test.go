package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestSidecarStatus checks what a user reads of a pod with a sidecar, as
// the kubelet reports it (getPhase, GeneratePodInitializedCondition,
// GenerateContainersReadyCondition): the sidecar in initContainerStatuses
// with started and ready, Initialized once it started, Ready only with it
// ready, and a phase its exit code never decides.
func TestSidecarStatus(t *testing.T) {
	never := sidecarPod(v1.RestartPolicyNever, []string{"side", "init2"}, []string{"side"}, "app")
	side := func(state runtimeapi.ContainerState, restarts int, exit int32) observedContainer {
		return sidecarCtr(never, "c-side", "side", state, restarts, exit)
	}
	init2Running := sidecarCtr(never, "c-init2", "init2", running, 0, 0)
	init2Done := sidecarCtr(never, "c-init2", "init2", exited, 0, 0)
	appRunning := ctr("c-app", "s1", "app", running, 0, 0)
	tests := []struct {
		name                 string
		containers           []observedContainer
		probes               fakeProbes
		waiting              map[string]waitingState
		terminal             bool
		phase                v1.PodPhase
		initialized          string // the Initialized condition's message, "" when True
		notReady             string // the ContainersReady condition's message, "" when True
		sideStarted, sideRdy bool
	}{
		{
			name:        "the sidecar runs but its startup probe has not passed: Pending, not initialized",
			containers:  []observedContainer{side(running, 0, 0)},
			probes:      fakeProbes{notStarted: map[string]bool{"c-side": true}, notReady: map[string]bool{"c-side": true}},
			phase:       v1.PodPending,
			initialized: "containers with incomplete status: [side init2]",
			notReady:    "containers with unready status: [side app]",
		},
		{
			name:        "the sidecar started, the regular init container runs: still Pending",
			containers:  []observedContainer{side(running, 0, 0), init2Running},
			phase:       v1.PodPending,
			initialized: "containers with incomplete status: [init2]",
			notReady:    "containers with unready status: [app]",
			sideStarted: true, sideRdy: true,
		},
		{
			name:        "the app runs but the sidecar is not ready: Running, initialized, not ready",
			containers:  []observedContainer{side(running, 0, 0), init2Done, appRunning},
			probes:      fakeProbes{notReady: map[string]bool{"c-side": true}},
			phase:       v1.PodRunning,
			notReady:    "containers with unready status: [side]",
			sideStarted: true,
		},
		{
			name:        "sidecar and app ready: the pod is ready",
			containers:  []observedContainer{side(running, 0, 0), init2Done, appRunning},
			phase:       v1.PodRunning,
			sideStarted: true, sideRdy: true,
		},
		{
			name:        "the sidecar in crash back-off after the app ran: still Running and initialized",
			containers:  []observedContainer{side(exited, 2, 1), init2Done, appRunning},
			waiting:     map[string]waitingState{"side": {Reason: ReasonCrashLoopBackOff}},
			phase:       v1.PodRunning,
			notReady:    "containers with unready status: [side]",
			sideStarted: false,
		},
		{
			name:        "the app finished under Never, the sidecar not stopped yet: Running until it is",
			containers:  []observedContainer{side(running, 0, 0), init2Done, ctr("c-app", "s1", "app", exited, 0, 0)},
			terminal:    true,
			phase:       v1.PodRunning,
			notReady:    "containers with unready status: [app]",
			sideStarted: true, sideRdy: true,
		},
		{
			name:       "the app succeeded and the sidecar was stopped (143): Succeeded",
			containers: []observedContainer{side(exited, 0, 143), init2Done, ctr("c-app", "s1", "app", exited, 0, 0)},
			terminal:   true,
			phase:      v1.PodSucceeded,
			notReady:   "",
		},
		{
			name:       "the app failed and the sidecar was stopped: Failed",
			containers: []observedContainer{side(exited, 0, 143), init2Done, ctr("c-app", "s1", "app", exited, 0, 1)},
			terminal:   true,
			phase:      v1.PodFailed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observedPod{Sandboxes: []observedSandbox{readySandbox("s1", 0)}, Containers: tt.containers}
			obs.sortNewestFirst()
			s := computePodStatus(never, obs, tt.waiting, "fake", statusFirstSeen, tt.terminal, tt.probes)
			if s.Phase != tt.phase {
				t.Errorf("phase %s, want %s", s.Phase, tt.phase)
			}
			cs := statusOf(s.InitContainerStatuses, "side")
			if cs == nil {
				t.Fatalf("no status for the sidecar in initContainerStatuses: %+v", s.InitContainerStatuses)
			}
			if started := cs.Started != nil && *cs.Started; started != tt.sideStarted || cs.Ready != tt.sideRdy {
				t.Errorf("sidecar started=%v ready=%v, want started=%v ready=%v", started, cs.Ready, tt.sideStarted, tt.sideRdy)
			}
			if c := conditionOf(s.Conditions, v1.PodInitialized); (c.Status == v1.ConditionTrue) != (tt.initialized == "") || c.Message != tt.initialized {
				t.Errorf("Initialized %s %q, want message %q", c.Status, c.Message, tt.initialized)
			}
			if isFinished(s.Phase) {
				return // ContainersReady is False with the phase's reason
			}
			for _, kind := range []v1.PodConditionType{v1.ContainersReady, v1.PodReady} {
				if c := conditionOf(s.Conditions, kind); (c.Status == v1.ConditionTrue) != (tt.notReady == "") || c.Message != tt.notReady {
					t.Errorf("%s %s %q, want message %q", kind, c.Status, c.Message, tt.notReady)
				}
			}
		})
	}
}
