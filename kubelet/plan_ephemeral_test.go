package kubelet

import (
	"maps"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// withEphemeral adds an ephemeral container, as `kubectl debug` does
// (with --target when target is set).
func withEphemeral(pod *v1.Pod, name, target string) *v1.Pod {
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, v1.EphemeralContainer{
		EphemeralContainerCommon: v1.EphemeralContainerCommon{Name: name, Image: "busybox"}, TargetContainerName: target})
	return pod
}

func ephemeralCtr(id, sandbox, name string, state runtimeapi.ContainerState, exit int32) observedContainer {
	c := ctr(id, sandbox, name, state, 0, exit)
	c.Type = translate.ContainerTypeEphemeral
	return c
}

// runningApp is the pod's app container "app" running in sandbox, its
// spec unchanged.
func runningApp(pod *v1.Pod, id, sandbox string) observedContainer {
	c := ctr(id, sandbox, "app", running, 0, 0)
	c.Hash = translate.ContainerHash(&pod.Spec.Containers[0])
	return c
}

func TestPlanEphemeralContainers(t *testing.T) {
	always := func() *v1.Pod { return testPod(v1.RestartPolicyAlways, nil, "app") }
	ready := []observedSandbox{readySandbox("s1", 0)}
	type want struct {
		start         []string          // ephemeral containers started
		target        map[string]string // container → the target ID it joins
		kill, remove  []string          // container IDs
		waiting       string            // the reason "debug" waits with
		createSandbox bool
		terminal      bool
		keepSandbox   string // an older sandbox that must not be removed
		removeSandbox string // one that must be
	}
	tests := []struct {
		name       string
		pod        *v1.Pod
		sandboxes  []observedSandbox
		containers func(pod *v1.Pod) []observedContainer
		want       want
	}{
		{
			name: "added to a running pod: started in its sandbox, nothing else touched",
			pod:  withEphemeral(always(), "debug", ""), sandboxes: ready,
			containers: func(p *v1.Pod) []observedContainer { return []observedContainer{runningApp(p, "c-app", "s1")} },
			want:       want{start: []string{"debug"}},
		},
		{
			name: "running: left alone",
			pod:  withEphemeral(always(), "debug", ""), sandboxes: ready,
			containers: func(p *v1.Pod) []observedContainer {
				return []observedContainer{runningApp(p, "c-app", "s1"), ephemeralCtr("c-dbg", "s1", "debug", running, 0)}
			},
		},
		{
			name: "exited 1 under restartPolicy Always: never restarted, kept for its status and logs",
			pod:  withEphemeral(always(), "debug", ""), sandboxes: ready,
			containers: func(p *v1.Pod) []observedContainer {
				return []observedContainer{runningApp(p, "c-app", "s1"), ephemeralCtr("c-dbg", "s1", "debug", exited, 1)}
			},
		},
		{
			name: "created but never started (an interrupted start): replaced",
			pod:  withEphemeral(always(), "debug", ""), sandboxes: ready,
			containers: func(p *v1.Pod) []observedContainer {
				return []observedContainer{runningApp(p, "c-app", "s1"), ephemeralCtr("c-dbg", "s1", "debug", created, 0)}
			},
			want: want{start: []string{"debug"}, kill: []string{"c-dbg"}, remove: []string{"c-dbg"}},
		},
		{
			name: "with a running target: joins the target's process namespace",
			pod:  withEphemeral(always(), "debug", "app"), sandboxes: ready,
			containers: func(p *v1.Pod) []observedContainer { return []observedContainer{runningApp(p, "c-app", "s1")} },
			want:       want{start: []string{"debug"}, target: map[string]string{"debug": "c-app"}},
		},
		{
			name: "with a target not running: waits for it",
			pod:  withEphemeral(testPod(v1.RestartPolicyAlways, []string{"init"}, "app"), "debug", "app"), sandboxes: ready,
			containers: func(*v1.Pod) []observedContainer {
				return []observedContainer{ctr("c-init", "s1", "init", running, 0, 0)}
			},
			want: want{waiting: ReasonCreateConfig},
		},
		{
			name: "while an init container runs: started, as under the kubelet",
			pod:  withEphemeral(testPod(v1.RestartPolicyAlways, []string{"init"}, "app"), "debug", ""), sandboxes: ready,
			containers: func(*v1.Pod) []observedContainer {
				return []observedContainer{ctr("c-init", "s1", "init", running, 0, 0)}
			},
			want: want{start: []string{"debug"}},
		},
		{
			name: "pod finished: not started, and a running one is stopped",
			pod:  withEphemeral(withEphemeral(testPod(v1.RestartPolicyNever, nil, "app"), "debug", ""), "late", ""), sandboxes: ready,
			containers: func(*v1.Pod) []observedContainer {
				return []observedContainer{ctr("c-app", "s1", "app", exited, 0, 0), ephemeralCtr("c-dbg", "s1", "debug", running, 0)}
			},
			want: want{terminal: true, kill: []string{"c-dbg"}},
		},
		{
			name:       "no sandbox: the new one starts the pod's containers only",
			pod:        withEphemeral(always(), "debug", ""),
			containers: func(*v1.Pod) []observedContainer { return nil },
			want:       want{createSandbox: true},
		},
		{
			name:      "its instance is in an older sandbox: not started again, and that sandbox is kept",
			pod:       withEphemeral(always(), "debug", ""),
			sandboxes: []observedSandbox{readySandbox("s2", 1), {ID: "s1", Attempt: 0}},
			containers: func(p *v1.Pod) []observedContainer {
				return []observedContainer{runningApp(p, "c-app2", "s2"), ctr("c-app1", "s1", "app", exited, 0, 0),
					ephemeralCtr("c-dbg", "s1", "debug", exited, 137)}
			},
			want: want{keepSandbox: "s1"},
		},
		{
			name:      "an older sandbox without it is removed as before",
			pod:       withEphemeral(always(), "debug", ""),
			sandboxes: []observedSandbox{readySandbox("s2", 1), {ID: "s1", Attempt: 0}},
			containers: func(p *v1.Pod) []observedContainer {
				return []observedContainer{runningApp(p, "c-app2", "s2"), ctr("c-app1", "s1", "app", exited, 0, 0),
					ephemeralCtr("c-dbg", "s2", "debug", running, 0)}
			},
			want: want{removeSandbox: "s1"},
		},
		{
			name:      "restartPolicy Never, its sandbox died during init with only an ephemeral container run: a new sandbox, not the end",
			pod:       withEphemeral(testPod(v1.RestartPolicyNever, []string{"init"}, "app"), "debug", ""),
			sandboxes: []observedSandbox{{ID: "s1", Attempt: 0}},
			containers: func(*v1.Pod) []observedContainer {
				init := ctr("c-init", "s1", "init", exited, 0, 0)
				init.Type = translate.ContainerTypeInit
				return []observedContainer{init, ephemeralCtr("c-dbg", "s1", "debug", exited, 137)}
			},
			want: want{createSandbox: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := plan(tt.pod, tt.sandboxes, tt.containers(tt.pod), 0)
			var started []string
			targets := map[string]string{}
			for _, s := range a.EphemeralToStart {
				started = append(started, s.Spec.Name)
				if s.Type != translate.ContainerTypeEphemeral || s.RestartCount != 0 {
					t.Errorf("%s starts as %s, restart %d; want ephemeral, 0", s.Spec.Name, s.Type, s.RestartCount)
				}
				if s.TargetID != "" {
					targets[s.Spec.Name] = s.TargetID
				}
			}
			if !slices.Equal(started, tt.want.start) {
				t.Errorf("ephemeral containers started: %v, want %v", started, tt.want.start)
			}
			if tt.want.target == nil {
				tt.want.target = map[string]string{}
			}
			if !maps.Equal(targets, tt.want.target) {
				t.Errorf("targets %v, want %v", targets, tt.want.target)
			}
			for _, s := range append(append([]containerStart(nil), a.ContainersToStart...), a.InitsToStart...) {
				if isEphemeral(tt.pod, s.Spec.Name) {
					t.Errorf("ephemeral container %s planned as an app or init container", s.Spec.Name)
				}
			}
			var killed []string
			for _, k := range a.ContainersToKill {
				killed = append(killed, k.ID)
			}
			if !slices.Equal(killed, tt.want.kill) {
				t.Errorf("killed %v, want %v", killed, tt.want.kill)
			}
			if !slices.Equal(a.ContainersToRemove, tt.want.remove) {
				t.Errorf("removed %v, want %v", a.ContainersToRemove, tt.want.remove)
			}
			if got := a.Waiting["debug"].Reason; got != tt.want.waiting {
				t.Errorf("debug waiting with %q, want %q", got, tt.want.waiting)
			}
			if tt.want.waiting != "" && a.Waiting["debug"].Event != EventFailed {
				t.Errorf("debug waiting, recorded as a %q event; want the kubelet's %q", a.Waiting["debug"].Event, EventFailed)
			}
			if tt.want.waiting != "" && (a.RequeueAfter <= 0 || a.RequeueAfter > waitForTarget) {
				t.Errorf("waiting for the target, the pod is looked at again after %s; want at most %s", a.RequeueAfter, waitForTarget)
			}
			if a.CreateSandbox != tt.want.createSandbox || a.Terminal != tt.want.terminal {
				t.Errorf("createSandbox %v terminal %v, want %v %v", a.CreateSandbox, a.Terminal, tt.want.createSandbox, tt.want.terminal)
			}
			if tt.want.keepSandbox != "" && slices.Contains(a.SandboxesToRemove, tt.want.keepSandbox) {
				t.Errorf("sandbox %s removed; it holds the only instance of an ephemeral container", tt.want.keepSandbox)
			}
			if tt.want.removeSandbox != "" && !slices.Contains(a.SandboxesToRemove, tt.want.removeSandbox) {
				t.Errorf("sandbox %s kept, want it removed (removed: %v)", tt.want.removeSandbox, a.SandboxesToRemove)
			}
		})
	}
}
