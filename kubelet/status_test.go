package kubelet

import (
	"encoding/json"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// fakeProbes answers for the prober: every container is ready and
// started unless its ID is listed.
type fakeProbes struct{ notReady, notStarted map[string]bool }

func (f fakeProbes) Ready(_ types.UID, _ *v1.Container, id string) bool   { return !f.notReady[id] }
func (f fakeProbes) Started(_ types.UID, _ *v1.Container, id string) bool { return !f.notStarted[id] }

var statusFirstSeen = planNow.Add(-time.Hour)

// Expected container states, with the times ctr gives its instances.
func waitingStatus(name, reason, message string) v1.ContainerStatus {
	return v1.ContainerStatus{Name: name, Image: "img", Started: new(false), State: v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: reason, Message: message}}}
}

func runningStatus(name, id string, restarts int32, ready bool) v1.ContainerStatus {
	return v1.ContainerStatus{Name: name, Image: "img", Ready: ready, Started: new(true), RestartCount: restarts, ContainerID: "fake://" + id,
		State: v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: metav1.NewTime(planNow.Add(-time.Minute))}}}
}

func terminated(id string, exitCode int32, reason string) *v1.ContainerStateTerminated {
	return &v1.ContainerStateTerminated{ExitCode: exitCode, Reason: reason, ContainerID: "fake://" + id,
		StartedAt: metav1.NewTime(planNow.Add(-time.Minute)), FinishedAt: metav1.NewTime(planNow.Add(-5 * time.Second))}
}

func exitedStatus(name, id string, restarts, exitCode int32, reason string) v1.ContainerStatus {
	return v1.ContainerStatus{Name: name, Image: "img", Started: new(false), RestartCount: restarts, ContainerID: "fake://" + id,
		State: v1.ContainerState{Terminated: terminated(id, exitCode, reason)}}
}

func withLast(cs v1.ContainerStatus, last *v1.ContainerStateTerminated) v1.ContainerStatus {
	cs.LastTerminationState = v1.ContainerState{Terminated: last}
	return cs
}

func conditions(initialized, ready bool) []v1.PodCondition {
	status := func(ok bool) v1.ConditionStatus {
		if ok {
			return v1.ConditionTrue
		}
		return v1.ConditionFalse
	}
	return []v1.PodCondition{
		{Type: v1.PodInitialized, Status: status(initialized)},
		{Type: v1.PodReady, Status: status(ready)},
		{Type: v1.ContainersReady, Status: status(ready)},
		{Type: v1.PodScheduled, Status: v1.ConditionTrue},
	}
}

func readyStatus(cs v1.ContainerStatus) v1.ContainerStatus {
	cs.Ready = true
	return cs
}

// withoutReasons drops the conditions' reasons and messages, which
// TestPodConditions covers, so the table above states only their status.
// withEmptyResources gives each status of a container the runtime holds
// an instance of the resources of a BestEffort container, none, as the
// kubelet reports them.
func withEmptyResources(statuses []v1.ContainerStatus) {
	for i := range statuses {
		if statuses[i].ContainerID != "" && statuses[i].Resources == nil {
			statuses[i].Resources = &v1.ResourceRequirements{}
		}
	}
}

func withoutReasons(s v1.PodStatus) v1.PodStatus {
	s.Conditions = append([]v1.PodCondition(nil), s.Conditions...)
	for i := range s.Conditions {
		s.Conditions[i].Reason, s.Conditions[i].Message = "", ""
	}
	return s
}

func TestComputePodStatus(t *testing.T) {
	start := metav1.NewTime(statusFirstSeen)
	ready := readySandbox("s1", 0) // IP 10.88.0.5
	podIPs := []v1.PodIP{{IP: "10.88.0.5"}}
	heldPull := map[string]waitingState{"a": {Reason: ReasonErrImagePull, Message: "pulling image \"img\": not found"}}
	crashLoop := map[string]waitingState{"a": {Reason: ReasonCrashLoopBackOff, Message: "back-off 10s restarting failed container=a"}}
	oom := ctr("c1", "s1", "a", exited, 0, 137)
	oom.Reason = ReasonOOMKilled
	withMessage := ctr("c1", "s1", "a", exited, 0, 1)
	withMessage.Reason, withMessage.Message = "Error", "disk full"
	tests := []struct {
		name       string
		pod        *v1.Pod
		sandboxes  []observedSandbox
		containers []observedContainer
		waiting    map[string]waitingState
		terminal   bool
		probes     fakeProbes
		want       v1.PodStatus
	}{
		{
			name: "nothing created yet: Pending, containers creating",
			pod:  testPod(v1.RestartPolicyAlways, nil, "a", "b"),
			want: v1.PodStatus{Phase: v1.PodPending, Conditions: conditions(true, false),
				ContainerStatuses: []v1.ContainerStatus{waitingStatus("a", ReasonContainerCreating, ""), waitingStatus("b", ReasonContainerCreating, "")}},
		},
		{
			name:       "every container running and ready: Running and Ready, with the pod's IP",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a", "b"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0), ctr("c2", "s1", "b", running, 2, 0)},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, true), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{runningStatus("a", "c1", 0, true), runningStatus("b", "c2", 2, true)}},
		},
		{
			name:       "dual-stack: every IP, the first as podIP",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{{ID: "s1", Ready: true, IPs: []string{"10.88.0.5", "fd00::5"}}},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0)},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, true), PodIP: "10.88.0.5",
				PodIPs:            []v1.PodIP{{IP: "10.88.0.5"}, {IP: "fd00::5"}},
				ContainerStatuses: []v1.ContainerStatus{runningStatus("a", "c1", 0, true)}},
		},
		{
			name:       "a container failing readiness: Running, not Ready",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a", "b"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0), ctr("c2", "s1", "b", running, 0, 0)},
			probes:     fakeProbes{notReady: map[string]bool{"c2": true}},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{runningStatus("a", "c1", 0, true), runningStatus("b", "c2", 0, false)}},
		},
		{
			name:       "a container not past its startup probe is not started",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0)},
			probes:     fakeProbes{notReady: map[string]bool{"c1": true}, notStarted: map[string]bool{"c1": true}},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{func() v1.ContainerStatus {
					cs := runningStatus("a", "c1", 0, false)
					cs.Started = new(false)
					return cs
				}()}},
		},
		{
			name:       "a sandbox that is not ready shows no IPs",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{{ID: "s1", IPs: []string{"10.88.0.5"}}},
			containers: []observedContainer{ctr("c1", "s1", "a", running, 0, 0)},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, true),
				ContainerStatuses: []v1.ContainerStatus{runningStatus("a", "c1", 0, true)}},
		},
		{
			name:      "the first init container running: Pending, not initialized, not ready until it exits 0, apps wait for init",
			pod:       testPod(v1.RestartPolicyAlways, []string{"i1", "i2"}, "a"),
			sandboxes: []observedSandbox{ready},
			containers: []observedContainer{func() observedContainer {
				c := ctr("i1c", "s1", "i1", running, 0, 0)
				c.Type = "init"
				return c
			}()},
			want: v1.PodStatus{Phase: v1.PodPending, Conditions: conditions(false, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				InitContainerStatuses: []v1.ContainerStatus{runningStatus("i1", "i1c", 0, false), waitingStatus("i2", ReasonPodInitializing, "")},
				ContainerStatuses:     []v1.ContainerStatus{waitingStatus("a", ReasonPodInitializing, "")}},
		},
		{
			name:       "init containers done: initialized, each Ready, the app is being created",
			pod:        testPod(v1.RestartPolicyAlways, []string{"i1"}, "a"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("i1c", "s1", "i1", exited, 0, 0)},
			want: v1.PodStatus{Phase: v1.PodPending, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				InitContainerStatuses: []v1.ContainerStatus{readyStatus(exitedStatus("i1", "i1c", 0, 0, ReasonCompleted))},
				ContainerStatuses:     []v1.ContainerStatus{waitingStatus("a", ReasonContainerCreating, "")}},
		},
		{
			name:       "a failed init container in back-off: waiting with its last termination",
			pod:        testPod(v1.RestartPolicyAlways, []string{"a"}, "app"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("i1c", "s1", "a", exited, 1, 1)},
			waiting:    crashLoop,
			want: v1.PodStatus{Phase: v1.PodPending, Conditions: conditions(false, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				InitContainerStatuses: []v1.ContainerStatus{func() v1.ContainerStatus {
					cs := withLast(waitingStatus("a", ReasonCrashLoopBackOff, crashLoop["a"].Message), terminated("i1c", 1, ReasonError))
					cs.Started, cs.RestartCount, cs.ContainerID = new(false), 1, "fake://i1c"
					return cs
				}()},
				ContainerStatuses: []v1.ContainerStatus{waitingStatus("app", ReasonPodInitializing, "")}},
		},
		{
			name:      "an image that cannot be pulled: the held reason and message",
			pod:       testPod(v1.RestartPolicyAlways, nil, "a"),
			waiting:   heldPull,
			sandboxes: []observedSandbox{ready},
			want: v1.PodStatus{Phase: v1.PodPending, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{waitingStatus("a", ReasonErrImagePull, heldPull["a"].Message)}},
		},
		{
			name:       "a crash loop: waiting, the dead instance as last termination, still Running",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c3", "s1", "a", exited, 3, 2)},
			waiting:    crashLoop,
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{func() v1.ContainerStatus {
					cs := withLast(waitingStatus("a", ReasonCrashLoopBackOff, crashLoop["a"].Message), terminated("c3", 2, ReasonError))
					cs.Started, cs.RestartCount, cs.ContainerID = new(false), 3, "fake://c3"
					return cs
				}()}},
		},
		{
			name:       "restarted: running, the previous instance as last termination",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c2", "s1", "a", running, 2, 0), ctr("c1", "s1", "a", exited, 1, 0), ctr("c0", "s1", "a", exited, 0, 1)},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, true), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{withLast(runningStatus("a", "c2", 2, true), terminated("c1", 0, ReasonCompleted))}},
		},
		{
			name:       "OOMKilled is kept as the reason; a runtime's message is shown",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a", "b"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{oom, func() observedContainer { c := withMessage; c.ID, c.Name = "c2", "b"; return c }()},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{exitedStatus("a", "c1", 0, 137, ReasonOOMKilled), func() v1.ContainerStatus {
					cs := exitedStatus("b", "c2", 0, 1, ReasonError)
					cs.State.Terminated.Message = "disk full"
					return cs
				}()}},
		},
		{
			name:       "created but not started: creating, with its ID",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c1", "s1", "a", created, 0, 0)},
			want: v1.PodStatus{Phase: v1.PodPending, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{func() v1.ContainerStatus {
					cs := waitingStatus("a", ReasonContainerCreating, "")
					cs.Started, cs.ContainerID = new(false), "fake://c1"
					return cs
				}()}},
		},
		{
			name:       "the sandbox was just replaced: the old sandbox's instance is shown",
			pod:        testPod(v1.RestartPolicyAlways, nil, "a"),
			sandboxes:  []observedSandbox{readySandbox("s2", 1), {ID: "s1"}},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 4, 137)},
			want: v1.PodStatus{Phase: v1.PodRunning, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{exitedStatus("a", "c1", 4, 137, ReasonError)}},
		},
		{
			name:       "terminal, every container succeeded: Succeeded",
			pod:        testPod(v1.RestartPolicyOnFailure, nil, "a", "b"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 0, 0), ctr("c2", "s1", "b", exited, 1, 0)},
			terminal:   true,
			want: v1.PodStatus{Phase: v1.PodSucceeded, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{exitedStatus("a", "c1", 0, 0, ReasonCompleted), exitedStatus("b", "c2", 1, 0, ReasonCompleted)}},
		},
		{
			name:       "terminal, a container failed: Failed",
			pod:        testPod(v1.RestartPolicyNever, nil, "a", "b"),
			sandboxes:  []observedSandbox{ready},
			containers: []observedContainer{ctr("c1", "s1", "a", exited, 0, 0), ctr("c2", "s1", "b", exited, 0, 3)},
			terminal:   true,
			want: v1.PodStatus{Phase: v1.PodFailed, Conditions: conditions(true, false), PodIP: "10.88.0.5", PodIPs: podIPs,
				ContainerStatuses: []v1.ContainerStatus{exitedStatus("a", "c1", 0, 0, ReasonCompleted), exitedStatus("b", "c2", 0, 3, ReasonError)}},
		},
		{
			name:       "terminal after a failed init container: Failed, apps never ran",
			pod:        testPod(v1.RestartPolicyNever, []string{"i1"}, "a"),
			sandboxes:  []observedSandbox{{ID: "s1"}},
			containers: []observedContainer{ctr("i1c", "s1", "i1", exited, 0, 1)},
			terminal:   true,
			want: v1.PodStatus{Phase: v1.PodFailed, Conditions: conditions(false, false),
				InitContainerStatuses: []v1.ContainerStatus{exitedStatus("i1", "i1c", 0, 1, ReasonError)},
				ContainerStatuses:     []v1.ContainerStatus{waitingStatus("a", ReasonPodInitializing, "")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := &observedPod{Sandboxes: tt.sandboxes, Containers: tt.containers}
			obs.sortNewestFirst()
			want := tt.want
			want.StartTime, want.QOSClass = &start, v1.PodQOSBestEffort
			withEmptyResources(want.InitContainerStatuses)
			withEmptyResources(want.ContainerStatuses)
			got := withoutReasons(computePodStatus(tt.pod, obs, tt.waiting, "fake", statusFirstSeen, tt.terminal, tt.probes))
			if !equality.Semantic.DeepEqual(got, want) {
				t.Errorf("status:\n%s\nwant:\n%s", statusJSON(got), statusJSON(want))
			}
		})
	}
}

func statusJSON(s v1.PodStatus) string {
	data, _ := json.MarshalIndent(s, "", "  ")
	return string(data)
}

func TestQOSClass(t *testing.T) {
	q := resource.MustParse
	tests := []struct {
		name       string
		containers []v1.ResourceRequirements
		want       v1.PodQOSClass
	}{
		{"nothing set", []v1.ResourceRequirements{{}, {}}, v1.PodQOSBestEffort},
		{"limits equal requests for CPU and memory in every container", []v1.ResourceRequirements{
			{Requests: v1.ResourceList{v1.ResourceCPU: q("1"), v1.ResourceMemory: q("1Gi")}, Limits: v1.ResourceList{v1.ResourceCPU: q("1"), v1.ResourceMemory: q("1Gi")}},
			{Limits: v1.ResourceList{v1.ResourceCPU: q("100m"), v1.ResourceMemory: q("64Mi")}},
		}, v1.PodQOSGuaranteed},
		{"a request below its limit", []v1.ResourceRequirements{
			{Requests: v1.ResourceList{v1.ResourceCPU: q("500m"), v1.ResourceMemory: q("1Gi")}, Limits: v1.ResourceList{v1.ResourceCPU: q("1"), v1.ResourceMemory: q("1Gi")}},
		}, v1.PodQOSBurstable},
		{"one container without limits", []v1.ResourceRequirements{
			{Limits: v1.ResourceList{v1.ResourceCPU: q("1"), v1.ResourceMemory: q("1Gi")}}, {},
		}, v1.PodQOSBurstable},
		{"only a memory limit", []v1.ResourceRequirements{{Limits: v1.ResourceList{v1.ResourceMemory: q("1Gi")}}}, v1.PodQOSBurstable},
	}
	for _, tt := range tests {
		pod := &v1.Pod{}
		for _, r := range tt.containers {
			pod.Spec.Containers = append(pod.Spec.Containers, v1.Container{Resources: r})
		}
		if got := qosClass(pod); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
