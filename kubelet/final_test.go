package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDeletedClusterPodKeepsItsFinalStatus: once a deleted cluster pod's
// containers are stopped, the status the API server is to get before the
// pod's final delete tells how each ended (exit code, reason, start and
// finish), with a terminal phase and Ready False, and it stays readable
// after the containers and the pod are removed.
func TestDeletedClusterPodKeepsItsFinalStatus(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, func(c *Config) {
		c.Sources = []PodSource{stubSource(SourceFile), stubSource(SourceAPI)}
	})
	pod := testPod(v1.RestartPolicyAlways, nil, "a", "b")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "pod Running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	if _, ok := k.FinalStatus(pod.UID); ok {
		t.Fatal("a final status while the pod runs")
	}

	k.SetSourcePods(SourceUpdate{Source: SourceAPI}) // deleted from the API server
	eventually(t, "pod removed", func() bool { return k.Gone(pod.UID) })
	if s, c := rt.count(""); s != 0 || c != 0 {
		t.Fatalf("%d sandboxes and %d containers left", s, c)
	}
	final, ok := k.FinalStatus(pod.UID)
	if !ok {
		t.Fatal("no final status for a deleted cluster pod that ran")
	}
	if final.Phase != v1.PodFailed {
		t.Errorf("phase %s, want Failed: the containers exited 143 on SIGTERM", final.Phase)
	}
	if len(final.ContainerStatuses) != 2 {
		t.Fatalf("container statuses %+v, want a and b", final.ContainerStatuses)
	}
	for _, cs := range final.ContainerStatuses {
		term := cs.State.Terminated
		if term == nil || term.ExitCode != 143 || term.Reason != ReasonError || term.StartedAt.IsZero() || term.FinishedAt.IsZero() || term.ContainerID == "" {
			t.Errorf("container %s state %+v: want Terminated, exit code 143, reason Error, started and finished", cs.Name, cs.State)
		}
		if cs.Ready {
			t.Errorf("container %s ready in the final status", cs.Name)
		}
	}
	ready := conditionOf(final.Conditions, v1.PodReady)
	if ready == nil || ready.Status != v1.ConditionFalse || ready.Reason != ReasonPodFailed {
		t.Errorf("Ready condition %+v, want False with reason PodFailed", ready)
	}
}

// TestDeletedStaticPodHasNoFinalStatus: a static pod keeps its phase, as
// under the kubelet; only cluster pods get one.
func TestDeletedStaticPodHasNoFinalStatus(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod, File: "/m/web.yaml"}}})
	eventually(t, "pod Running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "pod removed", func() bool {
		k.mu.Lock()
		defer k.mu.Unlock()
		_, tracked := k.pods[pod.UID]
		return !tracked
	})
	if _, ok := k.FinalStatus(pod.UID); ok {
		t.Error("a final status for a static pod")
	}
}

func TestTerminatedStatus(t *testing.T) {
	started := metav1.Unix(100, 0)
	exited := func(code int32) v1.ContainerState {
		return v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: code, StartedAt: started, FinishedAt: started}}
	}
	running := v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: started}}
	waiting := v1.ContainerState{Waiting: &v1.ContainerStateWaiting{Reason: ReasonContainerCreating}}
	tests := []struct {
		name     string
		pod      *v1.Pod
		status   v1.PodStatus
		phase    v1.PodPhase
		ready    string // Ready's reason
		unknown  []string
		keptInit []string // init containers left waiting
	}{
		{"all exited 0, computed terminal", testPod(v1.RestartPolicyAlways, nil, "a"),
			v1.PodStatus{Phase: v1.PodSucceeded, ContainerStatuses: []v1.ContainerStatus{{Name: "a", State: exited(0)}}},
			v1.PodSucceeded, ReasonPodCompleted, nil, nil},
		{"running as last seen: unknown, Failed", testPod(v1.RestartPolicyAlways, nil, "a", "b"),
			v1.PodStatus{Phase: v1.PodRunning, ContainerStatuses: []v1.ContainerStatus{{Name: "a", State: running, Ready: true}, {Name: "b", State: exited(0)}}},
			v1.PodFailed, ReasonPodFailed, []string{"a"}, nil},
		{"never started: Pending becomes Failed", testPod(v1.RestartPolicyAlways, nil, "a"),
			v1.PodStatus{Phase: v1.PodPending, ContainerStatuses: []v1.ContainerStatus{{Name: "a", State: waiting}}},
			v1.PodFailed, ReasonPodFailed, []string{"a"}, nil},
		{"stuck in the second init container: app containers stay waiting", testPod(v1.RestartPolicyAlways, []string{"i1", "i2", "i3"}, "a"),
			v1.PodStatus{Phase: v1.PodPending,
				InitContainerStatuses: []v1.ContainerStatus{{Name: "i1", State: exited(0)}, {Name: "i2", State: running}, {Name: "i3", State: waiting}},
				ContainerStatuses:     []v1.ContainerStatus{{Name: "a", State: waiting}}},
			v1.PodFailed, ReasonPodFailed, []string{"i2"}, []string{"i3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TerminatedStatus(tt.pod, tt.status)
			if got.Phase != tt.phase {
				t.Errorf("phase %s, want %s", got.Phase, tt.phase)
			}
			if c := conditionOf(got.Conditions, v1.PodReady); c == nil || c.Status != v1.ConditionFalse || c.Reason != tt.ready {
				t.Errorf("Ready %+v, want False with %s", c, tt.ready)
			}
			isUnknown := map[string]bool{}
			for _, n := range tt.unknown {
				isUnknown[n] = true
			}
			for _, cs := range append(append([]v1.ContainerStatus(nil), got.InitContainerStatuses...), got.ContainerStatuses...) {
				term := cs.State.Terminated
				switch {
				case isUnknown[cs.Name]:
					if term == nil || term.Reason != ReasonContainerStatusUnknown || term.ExitCode != 137 {
						t.Errorf("%s: %+v, want Terminated ContainerStatusUnknown 137", cs.Name, cs.State)
					}
				case term != nil && term.Reason == ReasonContainerStatusUnknown:
					t.Errorf("%s: made unknown, but it had a state to keep: %+v", cs.Name, cs.State)
				}
				if cs.Ready && cs.State.Running != nil {
					t.Errorf("%s ready in a terminal status", cs.Name)
				}
			}
			for _, n := range tt.keptInit {
				if cs := statusOf(got.InitContainerStatuses, n); cs == nil || cs.State.Waiting == nil {
					t.Errorf("init container %s: %+v, want it left waiting (it never tried to start)", n, cs)
				}
			}
			if tt.name == "stuck in the second init container: app containers stay waiting" {
				if cs := statusOf(got.ContainerStatuses, "a"); cs == nil || cs.State.Waiting == nil {
					t.Errorf("app container of an uninitialized pod: %+v, want it left waiting", cs)
				}
			}
		})
	}
}
