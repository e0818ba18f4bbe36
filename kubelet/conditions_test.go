package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestPodConditions checks the reasons and messages the kubelet gives its
// pod conditions, which `kubectl describe` shows and the upstream e2e
// suite asserts (InitContainer tests: ContainersNotInitialized with
// "containers with incomplete status: [init2]").
func TestPodConditions(t *testing.T) {
	running := v1.ContainerState{Running: &v1.ContainerStateRunning{}}
	waiting := v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: ReasonPodInitializing}}
	done := v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 0}}
	failed := v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 1}}
	pod := func(inits []string, gates ...v1.PodConditionType) *v1.Pod {
		p := &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{Name: "app"}}}}
		for _, name := range inits {
			p.Spec.InitContainers = append(p.Spec.InitContainers, v1.Container{Name: name})
		}
		for _, gate := range gates {
			p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, v1.PodReadinessGate{ConditionType: gate})
		}
		return p
	}
	type want struct {
		status          v1.ConditionStatus
		reason, message string
	}
	tests := []struct {
		name                                string
		pod                                 *v1.Pod
		status                              v1.PodStatus
		initialized, ready, containersReady want
	}{{
		name: "running and ready",
		pod:  pod(nil),
		status: v1.PodStatus{Phase: v1.PodRunning,
			ContainerStatuses: []v1.ContainerStatus{{Name: "app", State: running, Ready: true}}},
		initialized: want{v1.ConditionTrue, "", ""}, ready: want{v1.ConditionTrue, "", ""}, containersReady: want{v1.ConditionTrue, "", ""},
	}, {
		name: "an init container failed: the ones not done are incomplete",
		pod:  pod([]string{"init1", "init2"}),
		status: v1.PodStatus{Phase: v1.PodFailed,
			InitContainerStatuses: []v1.ContainerStatus{{Name: "init1", State: done, Ready: true}, {Name: "init2", State: failed}},
			ContainerStatuses:     []v1.ContainerStatus{{Name: "app", State: waiting}}},
		initialized:     want{v1.ConditionFalse, ReasonContainersNotInitialized, "containers with incomplete status: [init2]"},
		ready:           want{v1.ConditionFalse, ReasonPodFailed, ""},
		containersReady: want{v1.ConditionFalse, ReasonPodFailed, ""},
	}, {
		name: "initialising: every init container not done is listed, apps unready",
		pod:  pod([]string{"init1", "init2"}),
		status: v1.PodStatus{Phase: v1.PodPending,
			InitContainerStatuses: []v1.ContainerStatus{{Name: "init1", State: running}, {Name: "init2", State: waiting}},
			ContainerStatuses:     []v1.ContainerStatus{{Name: "app", State: waiting}}},
		initialized:     want{v1.ConditionFalse, ReasonContainersNotInitialized, "containers with incomplete status: [init1 init2]"},
		ready:           want{v1.ConditionFalse, ReasonContainersNotReady, "containers with unready status: [app]"},
		containersReady: want{v1.ConditionFalse, ReasonContainersNotReady, "containers with unready status: [app]"},
	}, {
		name: "succeeded with init containers",
		pod:  pod([]string{"init1"}),
		status: v1.PodStatus{Phase: v1.PodSucceeded,
			InitContainerStatuses: []v1.ContainerStatus{{Name: "init1", State: done, Ready: true}},
			ContainerStatuses:     []v1.ContainerStatus{{Name: "app", State: done}}},
		initialized:     want{v1.ConditionTrue, ReasonPodCompleted, ""},
		ready:           want{v1.ConditionFalse, ReasonPodCompleted, ""},
		containersReady: want{v1.ConditionFalse, ReasonPodCompleted, ""},
	}, {
		name: "an app container that started keeps the pod initialized",
		pod:  pod([]string{"init1"}),
		status: v1.PodStatus{Phase: v1.PodRunning,
			InitContainerStatuses: []v1.ContainerStatus{{Name: "init1", State: waiting}},
			ContainerStatuses:     []v1.ContainerStatus{{Name: "app", State: running, Ready: true}}},
		initialized: want{v1.ConditionTrue, "", ""}, ready: want{v1.ConditionTrue, "", ""}, containersReady: want{v1.ConditionTrue, "", ""},
	}, {
		name:            "no status for a container yet",
		pod:             pod(nil),
		status:          v1.PodStatus{Phase: v1.PodPending},
		initialized:     want{v1.ConditionTrue, "", ""},
		ready:           want{v1.ConditionFalse, ReasonContainersNotReady, "containers with unknown status: [app]"},
		containersReady: want{v1.ConditionFalse, ReasonContainersNotReady, "containers with unknown status: [app]"},
	}, {
		name: "containers ready, a readiness gate missing and one False",
		pod: func() *v1.Pod {
			p := pod(nil, "example.com/a", "example.com/b")
			p.Status.Conditions = []v1.PodCondition{{Type: "example.com/b", Status: v1.ConditionFalse}}
			return p
		}(),
		status: v1.PodStatus{Phase: v1.PodRunning,
			ContainerStatuses: []v1.ContainerStatus{{Name: "app", State: running, Ready: true}}},
		initialized: want{v1.ConditionTrue, "", ""},
		ready: want{v1.ConditionFalse, ReasonReadinessGatesNotReady,
			`corresponding condition of pod readiness gate "example.com/a" does not exist., the status of pod readiness gate "example.com/b" is not "True", but False`},
		containersReady: want{v1.ConditionTrue, "", ""},
	}, {
		name: "every readiness gate True",
		pod: func() *v1.Pod {
			p := pod(nil, "example.com/a")
			p.Status.Conditions = []v1.PodCondition{{Type: "example.com/a", Status: v1.ConditionTrue}}
			return p
		}(),
		status: v1.PodStatus{Phase: v1.PodRunning,
			ContainerStatuses: []v1.ContainerStatus{{Name: "app", State: running, Ready: true}}},
		initialized: want{v1.ConditionTrue, "", ""}, ready: want{v1.ConditionTrue, "", ""}, containersReady: want{v1.ConditionTrue, "", ""},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := podConditions(tt.pod, tt.status)
			for condType, w := range map[v1.PodConditionType]want{
				v1.PodInitialized: tt.initialized, v1.PodReady: tt.ready, v1.ContainersReady: tt.containersReady,
			} {
				c := conditionOf(got, condType)
				if c == nil {
					t.Errorf("no %s condition in %+v", condType, got)
					continue
				}
				if c.Status != w.status || c.Reason != w.reason || c.Message != w.message {
					t.Errorf("%s = %s %q %q, want %s %q %q", condType, c.Status, c.Reason, c.Message, w.status, w.reason, w.message)
				}
			}
		})
	}
}
