package kubelet

import (
	"reflect"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/prober"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// sidecarPod is testPod with the named init containers made sidecars
// (restartPolicy: Always).
func sidecarPod(policy v1.RestartPolicy, inits []string, sidecars []string, apps ...string) *v1.Pod {
	pod := testPod(policy, inits, apps...)
	for i := range pod.Spec.InitContainers {
		for _, name := range sidecars {
			if pod.Spec.InitContainers[i].Name == name {
				pod.Spec.InitContainers[i].RestartPolicy = new(v1.ContainerRestartPolicyAlways)
			}
		}
	}
	return pod
}

// sidecarCtr is a running or exited instance of an init container, with
// its spec's hash.
func sidecarCtr(pod *v1.Pod, id, name string, state runtimeapi.ContainerState, restarts int, exit int32) observedContainer {
	c := withHash(pod, ctr(id, "s1", name, state, restarts, exit))
	c.Type = translate.ContainerTypeInit
	return c
}

// TestPlanSidecars follows kuberuntime's computeInitContainerActions for
// restartable init containers: their start order, the wait for a startup
// probe, their restarts whatever the pod's restartPolicy, and their stop
// when the pod completes.
func TestPlanSidecars(t *testing.T) {
	// side is a sidecar, then init2 a regular init container, then app.
	always := sidecarPod(v1.RestartPolicyAlways, []string{"side", "init2"}, []string{"side"}, "app")
	never := sidecarPod(v1.RestartPolicyNever, []string{"side", "init2"}, []string{"side"}, "app")
	onFailure := sidecarPod(v1.RestartPolicyOnFailure, []string{"side", "init2"}, []string{"side"}, "app")
	// two sidecars in a row: the second starts once the first has.
	twoSidecars := sidecarPod(v1.RestartPolicyNever, []string{"s1", "s2"}, []string{"s1", "s2"}, "app")
	sb := []observedSandbox{readySandbox("s1", 0)}
	notStarted := func(*v1.Container, string) bool { return false }
	livenessFailed := func(id string) (prober.Restart, bool) {
		return prober.Restart{Probe: prober.Liveness, Message: "Container side failed liveness probe, will be restarted"}, id == "c-side"
	}
	tests := []struct {
		name       string
		pod        *v1.Pod
		containers []observedContainer
		started    func(*v1.Container, string) bool
		liveness   func(string) (prober.Restart, bool)
		delay      time.Duration
		want       planned
		waiting    []string
	}{
		{
			name: "a fresh pod starts with the sidecar alone",
			pod:  always,
			want: planned{SandboxID: "s1", Init: "side#0"},
		},
		{
			name:       "the sidecar started: the next init container starts, the sidecar keeps running",
			pod:        always,
			containers: []observedContainer{sidecarCtr(always, "c-side", "side", running, 0, 0)},
			want:       planned{SandboxID: "s1", Init: "init2#0"},
		},
		{
			name:       "the sidecar runs but its startup probe has not passed: nothing else starts",
			pod:        always,
			containers: []observedContainer{sidecarCtr(always, "c-side", "side", running, 0, 0)},
			started:    notStarted,
			want:       planned{SandboxID: "s1"},
		},
		{
			name:       "a sidecar waits for the sidecar before it to start",
			pod:        twoSidecars,
			containers: []observedContainer{sidecarCtr(twoSidecars, "c-s1", "s1", running, 0, 0)},
			started:    notStarted,
			want:       planned{SandboxID: "s1"},
		},
		{
			name:       "the last sidecar started: the app containers start",
			pod:        twoSidecars,
			containers: []observedContainer{sidecarCtr(twoSidecars, "c-s1", "s1", running, 0, 0), sidecarCtr(twoSidecars, "c-s2", "s2", running, 0, 0)},
			want:       planned{SandboxID: "s1", Start: []string{"app#0"}},
		},
		{
			name:       "the regular init container runs: the app waits",
			pod:        always,
			containers: []observedContainer{sidecarCtr(always, "c-side", "side", running, 0, 0), sidecarCtr(always, "c-init2", "init2", running, 0, 0)},
			want:       planned{SandboxID: "s1"},
		},
		{
			name: "a sidecar whose spec changed is restarted before the next init container starts",
			pod:  always,
			containers: []observedContainer{func() observedContainer {
				c := sidecarCtr(always, "c-side", "side", running, 0, 0)
				c.Hash = "an older spec"
				return c
			}()},
			want: planned{SandboxID: "s1", Kill: []string{"c-side"}, Init: "side#1,init2#0"},
		},
		{
			name:       "initialization done: the app starts beside the sidecar",
			pod:        always,
			containers: []observedContainer{sidecarCtr(always, "c-side", "side", running, 0, 0), sidecarCtr(always, "c-init2", "init2", exited, 0, 0)},
			want:       planned{SandboxID: "s1", Start: []string{"app#0"}},
		},
		{
			name: "under restartPolicy Never a sidecar that exits during the app phase is restarted, the app left alone",
			pod:  never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", exited, 0, 1), sidecarCtr(never, "c-init2", "init2", exited, 0, 0),
				withHash(never, ctr("c-app", "s1", "app", running, 0, 0))},
			want: planned{SandboxID: "s1", Init: "side#1"},
		},
		{
			name: "a sidecar that exits 0 is restarted too",
			pod:  never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", exited, 2, 0), sidecarCtr(never, "c-init2", "init2", exited, 0, 0),
				withHash(never, ctr("c-app", "s1", "app", running, 0, 0))},
			want: planned{SandboxID: "s1", Init: "side#3"},
		},
		{
			name: "a sidecar in crash back-off waits, shown CrashLoopBackOff",
			pod:  never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", exited, 2, 1), sidecarCtr(never, "c-init2", "init2", exited, 0, 0),
				withHash(never, ctr("c-app", "s1", "app", running, 0, 0))},
			delay:   time.Minute,
			want:    planned{SandboxID: "s1"},
			waiting: []string{"side"},
		},
		{
			name:       "a sidecar that exits while the regular init container runs is restarted; the init container keeps running",
			pod:        never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", exited, 0, 2), sidecarCtr(never, "c-init2", "init2", running, 0, 0)},
			want:       planned{SandboxID: "s1", Init: "side#1"},
		},
		{
			name: "a sidecar failing its liveness probe is killed and restarted under restartPolicy Never",
			pod:  never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", running, 0, 0), sidecarCtr(never, "c-init2", "init2", exited, 0, 0),
				withHash(never, ctr("c-app", "s1", "app", running, 0, 0))},
			liveness: livenessFailed,
			want:     planned{SandboxID: "s1", Kill: []string{"c-side"}, Init: "side#1"},
		},
		{
			name: "the app container finished under Never: the pod completes and its sidecar is stopped",
			pod:  never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", running, 0, 0), sidecarCtr(never, "c-init2", "init2", exited, 0, 0),
				ctr("c-app", "s1", "app", exited, 0, 0)},
			want: planned{SandboxID: "s1", Kill: []string{"c-side"}, StopSandboxes: []string{"s1"}, Terminal: true},
		},
		{
			name: "the app container failed under OnFailure: it restarts, the sidecar keeps running",
			pod:  onFailure,
			containers: []observedContainer{sidecarCtr(onFailure, "c-side", "side", running, 0, 0), sidecarCtr(onFailure, "c-init2", "init2", exited, 0, 0),
				ctr("c-app", "s1", "app", exited, 0, 1)},
			want: planned{SandboxID: "s1", Start: []string{"app#1"}},
		},
		{
			name: "the app container succeeded under OnFailure: the pod completes and its sidecar is stopped",
			pod:  onFailure,
			containers: []observedContainer{sidecarCtr(onFailure, "c-side", "side", running, 0, 0), sidecarCtr(onFailure, "c-init2", "init2", exited, 0, 0),
				ctr("c-app", "s1", "app", exited, 0, 0)},
			want: planned{SandboxID: "s1", Kill: []string{"c-side"}, StopSandboxes: []string{"s1"}, Terminal: true},
		},
		{
			name: "a sidecar's exit code does not fail a Never pod whose init containers are done",
			pod:  never,
			containers: []observedContainer{sidecarCtr(never, "c-side", "side", exited, 0, 137), sidecarCtr(never, "c-init2", "init2", exited, 0, 0),
				withHash(never, ctr("c-app", "s1", "app", running, 0, 0))},
			want: planned{SandboxID: "s1", Init: "side#1"},
		},
		{
			name:       "once the app runs, a regular init container the runtime lost is not run again, a lost sidecar is",
			pod:        always,
			containers: []observedContainer{withHash(always, ctr("c-app", "s1", "app", running, 0, 0))},
			want:       planned{SandboxID: "s1", Init: "side#0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observedPod{Sandboxes: sb, Containers: tt.containers}
			obs.sortNewestFirst()
			a := computePodActions(planInput{Pod: tt.pod, Observed: obs, Now: planNow,
				RestartDelay:   func(string) time.Duration { return tt.delay },
				Started:        tt.started,
				LivenessFailed: tt.liveness})
			if got := summarize(a); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan\n got %+v\nwant %+v", got, tt.want)
			}
			var waiting []string
			for name, w := range a.Waiting {
				if w.Reason != ReasonCrashLoopBackOff {
					t.Errorf("%s waits with %q, want %q", name, w.Reason, ReasonCrashLoopBackOff)
				}
				waiting = append(waiting, name)
			}
			if !reflect.DeepEqual(waiting, tt.waiting) {
				t.Errorf("waiting %v, want %v", waiting, tt.waiting)
			}
		})
	}
}
