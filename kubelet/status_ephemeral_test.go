package kubelet

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestEphemeralContainerStatuses(t *testing.T) {
	pod := func(names ...string) *v1.Pod {
		p := testPod(v1.RestartPolicyAlways, nil, "app")
		for _, n := range names {
			withEphemeral(p, n, "")
		}
		return p
	}
	app := ctr("c-app", "s1", "app", running, 0, 0)
	debug := func(id, sandbox string, state runtimeapi.ContainerState, exit int32) observedContainer {
		c := ephemeralCtr(id, sandbox, "debug", state, exit)
		c.ImageRef = "sha256:busybox"
		return c
	}
	waitingFor := func(name, reason, message string) v1.ContainerStatus {
		return v1.ContainerStatus{Name: name, Image: "busybox", State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason, Message: message}}}
	}
	instance := func(id string) v1.ContainerStatus {
		return v1.ContainerStatus{Name: "debug", Image: "busybox", ImageID: "sha256:busybox", ContainerID: "fake://" + id}
	}
	runningDebug := instance("c-dbg")
	runningDebug.State.Running = &v1.ContainerStateRunning{StartedAt: metav1.NewTime(planNow.Add(-time.Minute))}
	exitedDebug := func(id string, code int32, reason string) v1.ContainerStatus {
		cs := instance(id)
		cs.State.Terminated = terminated(id, code, reason)
		return cs
	}
	target := waitingState{Reason: ReasonCreateConfig, Message: "target container app is not running"}
	tests := []struct {
		name       string
		pod        *v1.Pod
		sandboxes  []observedSandbox
		containers []observedContainer
		waiting    map[string]waitingState
		want       []v1.ContainerStatus
	}{
		{
			name:      "just added: waiting, being created",
			pod:       pod("debug"),
			sandboxes: []observedSandbox{readySandbox("s1", 0)}, containers: []observedContainer{app},
			want: []v1.ContainerStatus{waitingFor("debug", ReasonContainerCreating, "")},
		},
		{
			name:      "running: its ID and image ID, restart count 0, never ready, no started mark",
			pod:       pod("debug"),
			sandboxes: []observedSandbox{readySandbox("s1", 0)}, containers: []observedContainer{app, debug("c-dbg", "s1", running, 0)},
			want: []v1.ContainerStatus{runningDebug},
		},
		{
			name:      "exited 3: terminated with its exit code",
			pod:       pod("debug"),
			sandboxes: []observedSandbox{readySandbox("s1", 0)}, containers: []observedContainer{app, debug("c-dbg", "s1", exited, 3)},
			want: []v1.ContainerStatus{exitedDebug("c-dbg", 3, ReasonError)},
		},
		{
			name:      "waiting for its target: the reason and message the plan held it with",
			pod:       pod("debug"),
			sandboxes: []observedSandbox{readySandbox("s1", 0)}, containers: []observedContainer{app},
			waiting: map[string]waitingState{"debug": target},
			want:    []v1.ContainerStatus{waitingFor("debug", target.Reason, target.Message)},
		},
		{
			name:       "its instance is in the sandbox before this one: that instance's end",
			pod:        pod("debug"),
			sandboxes:  []observedSandbox{readySandbox("s2", 1), {ID: "s1"}},
			containers: []observedContainer{ctr("c-app2", "s2", "app", running, 1, 0), debug("c-old", "s1", exited, 137)},
			want:       []v1.ContainerStatus{exitedDebug("c-old", 137, ReasonError)},
		},
		{
			name:      "several: sorted by name, as the kubelet sorts them",
			pod:       pod("zeta", "alpha"),
			sandboxes: []observedSandbox{readySandbox("s1", 0)}, containers: []observedContainer{app},
			want: []v1.ContainerStatus{waitingFor("alpha", ReasonContainerCreating, ""), waitingFor("zeta", ReasonContainerCreating, "")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observedPod{Sandboxes: tt.sandboxes, Containers: tt.containers}
			obs.sortNewestFirst()
			got := computePodStatus(tt.pod, obs, tt.waiting, "fake", statusFirstSeen, false, fakeProbes{})
			if !equality.Semantic.DeepEqual(got.EphemeralContainerStatuses, tt.want) {
				t.Errorf("ephemeral container statuses:\n%s\nwant:\n%s", statusJSON(v1.PodStatus{EphemeralContainerStatuses: got.EphemeralContainerStatuses}),
					statusJSON(v1.PodStatus{EphemeralContainerStatuses: tt.want}))
			}
			// The pod runs on as it did: an ephemeral container counts in
			// neither its phase nor its readiness.
			if got.Phase != v1.PodRunning || podCondition(got, v1.PodReady) != v1.ConditionTrue || len(got.ContainerStatuses) != 1 {
				t.Errorf("pod phase %s, Ready %s, %d container statuses; want Running, Ready, only the app's", got.Phase, podCondition(got, v1.PodReady), len(got.ContainerStatuses))
			}
		})
	}
}

func podCondition(s v1.PodStatus, t v1.PodConditionType) v1.ConditionStatus {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c.Status
		}
	}
	return ""
}
