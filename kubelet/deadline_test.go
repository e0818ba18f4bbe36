package kubelet

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// A pod past its activeDeadlineSeconds is stopped and Failed with the
// kubelet's DeadlineExceeded, and is not started again: the deadline runs
// from the pod's start, and a later, shorter deadline applies at once.
func TestPodPastItsActiveDeadlineIsStoppedAndFailed(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	long := int64(3600)
	pod.Spec.ActiveDeadlineSeconds = &long
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { return runs(k, "web") })

	shorter := pod.DeepCopy()
	one := int64(1)
	shorter.Spec.ActiveDeadlineSeconds = &one
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: shorter}}})
	var status v1.PodStatus
	eventually(t, "Failed with DeadlineExceeded", func() bool {
		p, ok := k.GetPod("default", "web")
		if ok {
			status = p.Pod.Status
		}
		return ok && status.Phase == v1.PodFailed && status.Reason == ReasonDeadlineExceeded
	})
	if status.Message != messageDeadlineExceeded {
		t.Errorf("message %q, want the kubelet's", status.Message)
	}
	eventually(t, "sandbox stopped", func() bool { return len(sandboxedPods(rt)) == 0 })
	time.Sleep(200 * time.Millisecond)
	if n := rt.callCount("RunPodSandbox"); n != 1 {
		t.Fatalf("%d sandboxes made: a pod past its deadline was started again", n)
	}
}

func TestActiveDeadlineLeft(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	secs := int64(60)
	pod := &v1.Pod{Spec: v1.PodSpec{ActiveDeadlineSeconds: &secs}}
	if left, ok := activeDeadlineLeft(pod, now.Add(-20*time.Second), now); !ok || left != 40*time.Second {
		t.Errorf("left %v %v, want 40s", left, ok)
	}
	huge := int64(1 << 62) // a static pod's manifest is not bounded by the API server
	if left, _ := activeDeadlineLeft(&v1.Pod{Spec: v1.PodSpec{ActiveDeadlineSeconds: &huge}}, now, now); left <= 0 {
		t.Errorf("a huge deadline left %v: it overflowed into the past", left)
	}
	if _, ok := activeDeadlineLeft(&v1.Pod{}, now, now); ok {
		t.Error("a pod without a deadline has one")
	}
}
