package kubelet

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// planned is a plan in a form a table can spell out: IDs, and starts as
// "name#restartCount".
type planned struct {
	Kill, StopSandboxes, RemoveContainers, RemoveSandboxes []string
	CreateSandbox                                          bool
	Attempt                                                uint32
	SandboxID                                              string
	Init                                                   string
	Start                                                  []string
	Terminal                                               bool
}

func summarize(a podActions) planned {
	p := planned{StopSandboxes: a.SandboxesToStop, RemoveContainers: a.ContainersToRemove, RemoveSandboxes: a.SandboxesToRemove,
		CreateSandbox: a.CreateSandbox, Attempt: a.SandboxAttempt, SandboxID: a.SandboxID, Terminal: a.Terminal}
	for _, k := range a.ContainersToKill {
		p.Kill = append(p.Kill, k.ID)
	}
	var inits []string
	for _, s := range a.InitsToStart {
		inits = append(inits, fmt.Sprintf("%s#%d", s.Spec.Name, s.RestartCount))
	}
	p.Init = strings.Join(inits, ",")
	for _, s := range a.ContainersToStart {
		p.Start = append(p.Start, fmt.Sprintf("%s#%d", s.Spec.Name, s.RestartCount))
	}
	return p
}

// withHash gives a running instance its spec's hash, as the agent records
// it, so the plan does not see a changed spec.
func withHash(pod *v1.Pod, c observedContainer) observedContainer {
	c.Hash = translate.ContainerHash(specContainer(pod, c.Name))
	return c
}

func initCtr(id, sandbox, name string, exitCode int32) observedContainer {
	c := ctr(id, sandbox, name, exited, 0, exitCode)
	c.Type = translate.ContainerTypeInit
	return c
}

// TestPlanSandboxes covers which sandbox a pod's containers go into and
// what happens to the others, as kuberuntime's TestComputePodActions does
// for its sandbox cases.
func TestPlanSandboxes(t *testing.T) {
	always := testPod(v1.RestartPolicyAlways, nil, "a", "b")
	withInit := testPod(v1.RestartPolicyAlways, []string{"i"}, "a")
	never := testPod(v1.RestartPolicyNever, nil, "a")
	stopped := func(id string, attempt uint32) observedSandbox { return observedSandbox{ID: id, Attempt: attempt} }
	tests := []struct {
		name       string
		pod        *v1.Pod
		sandboxes  []observedSandbox
		containers []observedContainer
		want       planned
	}{
		{
			name: "no sandbox: create the first attempt and start every container",
			pod:  always,
			want: planned{CreateSandbox: true, Start: []string{"a#0", "b#0"}},
		},
		{
			name: "no sandbox, init containers: create, then only the first init container",
			pod:  withInit,
			want: planned{CreateSandbox: true, Init: "i#0"},
		},
		{
			name:       "the sandbox died: a new attempt, what still runs in it is killed, restart counts go on",
			pod:        always,
			sandboxes:  []observedSandbox{stopped("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 2, 0), ctr("c2", "s1", "b", exited, 0, 0)},
			want:       planned{CreateSandbox: true, Attempt: 1, Kill: []string{"c1"}, Start: []string{"a#3", "b#1"}},
		},
		{
			name:       "the newest sandbox died while an older one is still ready: the older one is stopped too",
			pod:        always,
			sandboxes:  []observedSandbox{stopped("s2", 1), readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0)},
			want:       planned{CreateSandbox: true, Attempt: 2, Kill: []string{"c1"}, StopSandboxes: []string{"s1"}, Start: []string{"a#1", "b#0"}},
		},
		{
			name:      "a newer sandbox is ready and empty: the older one is stopped but kept while it holds the restart counts",
			pod:       always,
			sandboxes: []observedSandbox{readySandbox("s2", 1), readySandbox("s1", 0)},
			containers: []observedContainer{withHash(always, ctr("c1", "s1", "a", running, 1, 0)),
				withHash(always, ctr("c2", "s1", "b", running, 0, 0))},
			want: planned{SandboxID: "s2", Kill: []string{"c1", "c2"}, StopSandboxes: []string{"s1"}, Start: []string{"a#2", "b#1"}},
		},
		{
			name:      "a newer sandbox runs every container: the older one is stopped and removed",
			pod:       always,
			sandboxes: []observedSandbox{readySandbox("s2", 1), readySandbox("s1", 0)},
			containers: []observedContainer{withHash(always, ctr("c3", "s2", "a", running, 2, 0)), withHash(always, ctr("c4", "s2", "b", running, 1, 0)),
				withHash(always, ctr("c1", "s1", "a", running, 1, 0))},
			want: planned{SandboxID: "s2", Kill: []string{"c1"}, StopSandboxes: []string{"s1"}, RemoveSandboxes: []string{"s1"}},
		},
		{
			name:      "older sandboxes already stopped are removed, not stopped again, once replaced",
			pod:       always,
			sandboxes: []observedSandbox{readySandbox("s3", 2), stopped("s2", 1), stopped("s1", 0)},
			containers: []observedContainer{withHash(always, ctr("c5", "s3", "a", running, 4, 0)), withHash(always, ctr("c6", "s3", "b", running, 0, 0)),
				ctr("c3", "s2", "a", exited, 3, 137)},
			want: planned{SandboxID: "s3", RemoveSandboxes: []string{"s2", "s1"}},
		},
		{
			name:      "a replaced sandbox is kept while one app container has no instance in the new one",
			pod:       always,
			sandboxes: []observedSandbox{readySandbox("s2", 1), stopped("s1", 0)},
			containers: []observedContainer{withHash(always, ctr("c3", "s2", "a", running, 1, 0)),
				ctr("c2", "s1", "b", exited, 5, 1)},
			want: planned{SandboxID: "s2", Start: []string{"b#6"}},
		},
		{
			name:       "the current sandbox is the newest attempt, not the newest listed",
			pod:        never,
			sandboxes:  []observedSandbox{stopped("s1", 0), readySandbox("s2", 1)},
			containers: []observedContainer{withHash(never, ctr("c2", "s2", "a", running, 1, 0))},
			want:       planned{SandboxID: "s2", RemoveSandboxes: []string{"s1"}},
		},
		{
			name:       "Never: a dead sandbox whose app container ran is final",
			pod:        never,
			sandboxes:  []observedSandbox{stopped("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 0, 137)},
			want:       planned{Terminal: true},
		},
		{
			// The pause container died and the app still runs: the kubelet
			// kills the pod (KillPod) rather than leave a Failed pod running.
			name:       "Never: a dead sandbox with a container still running in it is final; the container is stopped, not restarted",
			pod:        never,
			sandboxes:  []observedSandbox{stopped("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0)},
			want:       planned{Terminal: true, Kill: []string{"c1"}},
		},
		{
			name:       "Never: final, with an older sandbox still ready: it is stopped too",
			pod:        never,
			sandboxes:  []observedSandbox{stopped("s2", 1), readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c2", "s2", "a", exited, 1, 137), ctr("c1", "s1", "a", running, 0, 0)},
			want:       planned{Terminal: true, Kill: []string{"c1"}, StopSandboxes: []string{"s1"}},
		},
		{
			name:      "Never: a dead sandbox in which nothing ran gets a new attempt",
			pod:       never,
			sandboxes: []observedSandbox{stopped("s1", 0)},
			want:      planned{CreateSandbox: true, Attempt: 1, Start: []string{"a#0"}},
		},
		{
			name:       "OnFailure: every container succeeded in a ready sandbox: finished, the sandbox is stopped",
			pod:        testPod(v1.RestartPolicyOnFailure, nil, "a"),
			sandboxes:  []observedSandbox{readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 0, 0)},
			want:       planned{SandboxID: "s1", Terminal: true, StopSandboxes: []string{"s1"}},
		},
		{
			name:       "OnFailure: finished while an older sandbox still runs something: all of it stops",
			pod:        testPod(v1.RestartPolicyOnFailure, nil, "a"),
			sandboxes:  []observedSandbox{readySandbox("s2", 1), readySandbox("s1", 0)},
			containers: []observedContainer{ctr("c2", "s2", "a", exited, 1, 0), ctr("c1", "s1", "a", running, 0, 0)},
			want: planned{SandboxID: "s2", Terminal: true, Kill: []string{"c1"}, StopSandboxes: []string{"s1", "s2"},
				RemoveSandboxes: []string{"s1"}},
		},
		{
			name:       "init containers start over in a new sandbox: their success in the old one does not count",
			pod:        withInit,
			sandboxes:  []observedSandbox{readySandbox("s2", 1), stopped("s1", 0)},
			containers: []observedContainer{initCtr("i1", "s1", "i", 0), ctr("c1", "s1", "a", exited, 0, 137)},
			want:       planned{SandboxID: "s2", Init: "i#1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(plan(tt.pod, tt.sandboxes, tt.containers, 0))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// A delete tears down every sandbox the pod has, ready or not, with what
// still runs in them: first it stops what runs, then it removes all.
func TestPlanDeletionWithSeveralSandboxes(t *testing.T) {
	obs := &observedPod{
		Sandboxes:  []observedSandbox{readySandbox("s2", 1), {ID: "s1"}},
		Containers: []observedContainer{ctr("c2", "s2", "a", running, 1, 0), ctr("c1", "s1", "a", exited, 0, 137)},
	}
	got := summarize(computePodActions(planInput{Pod: nil, Observed: obs, Now: planNow, RestartDelay: func(string) time.Duration { return 0 }}))
	want := planned{Kill: []string{"c2"}, StopSandboxes: []string{"s2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan while something runs:\n got %+v\nwant %+v", got, want)
	}
	stopped := &observedPod{
		Sandboxes:  []observedSandbox{{ID: "s2", Attempt: 1}, {ID: "s1"}},
		Containers: []observedContainer{ctr("c2", "s2", "a", exited, 1, 0), ctr("c1", "s1", "a", exited, 0, 137)},
	}
	got = summarize(computePodActions(planInput{Pod: nil, Observed: stopped, Now: planNow, RestartDelay: func(string) time.Duration { return 0 }}))
	want = planned{RemoveContainers: []string{"c2", "c1"}, RemoveSandboxes: []string{"s2", "s1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan once everything stopped:\n got %+v\nwant %+v", got, want)
	}
}
