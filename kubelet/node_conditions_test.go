package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestNodeConditionShowsOnEveryPodUntilCleared(t *testing.T) {
	k := startKubelet(t, newFakeRuntime())
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a"), File: "/m/web.yaml"}}})
	eventually(t, "the pod", func() bool { _, ok := k.GetPod("default", "web"); return ok })
	changed := k.Changed()
	full := v1.PodCondition{Type: "DiskPressure", Status: v1.ConditionTrue, Reason: "PodLogDirFull", Message: "the disk of --pod-log-dir is full"}
	k.SetNodeCondition(full)
	select {
	case <-changed:
	default:
		t.Error("API watchers were not told of the new condition")
	}
	k.SetNodeCondition(full) // again: replaced, not doubled
	view, _ := k.GetPod("default", "web")
	if n := countCondition(view.Pod, "DiskPressure"); n != 1 {
		t.Fatalf("%d DiskPressure conditions on the pod, want 1: %+v", n, view.Pod.Status.Conditions)
	}
	k.ClearNodeCondition("DiskPressure")
	if view, _ := k.GetPod("default", "web"); countCondition(view.Pod, "DiskPressure") != 0 {
		t.Fatalf("the condition stayed after it was cleared: %+v", view.Pod.Status.Conditions)
	}
}

func countCondition(pod *v1.Pod, t v1.PodConditionType) int {
	n := 0
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			n++
		}
	}
	return n
}
