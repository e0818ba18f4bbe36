package apipods

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The sync loop gets a new pod from specOnly exactly when the node has
// something to act on: a spec change, or a readiness gate's condition
// (Ready waits for it); a status patch of the node's own (a new
// resourceVersion, other conditions) gives the same pod back. startTime
// stays, for activeDeadlineSeconds across agent restarts.
func TestSpecOnlyKeepsWhatTheNodeActsOn(t *testing.T) {
	started := metav1.Now()
	api := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", UID: "u", ResourceVersion: "1", Generation: 1},
		Spec: v1.PodSpec{ReadinessGates: []v1.PodReadinessGate{{ConditionType: "example.com/gate"}}},
		Status: v1.PodStatus{StartTime: &started, Conditions: []v1.PodCondition{
			{Type: v1.PodReady, Status: v1.ConditionFalse},
			{Type: "example.com/gate", Status: v1.ConditionFalse},
		}}}
	first := specOnly(api, nil)
	if first.ResourceVersion != "" || first.Status.StartTime == nil || len(first.Status.Conditions) != 1 || first.Status.Conditions[0].Type != "example.com/gate" {
		t.Fatalf("specOnly kept %+v", first.Status)
	}

	ownPatch := api.DeepCopy()
	ownPatch.ResourceVersion = "2"
	ownPatch.Status.Conditions[0].Status = v1.ConditionTrue // the node's own Ready
	if got := specOnly(ownPatch, first); got != first {
		t.Error("the node's own status patch gave a new pod: every patch would sync the pod again")
	}

	gate := ownPatch.DeepCopy()
	gate.ResourceVersion = "3"
	gate.Status.Conditions[1].Status = v1.ConditionTrue
	if got := specOnly(gate, first); got == first || got.Status.Conditions[0].Status != v1.ConditionTrue {
		t.Error("a readiness gate turning True gave the same pod: Ready would never follow")
	}

	deadline := ownPatch.DeepCopy()
	deadline.Generation = 2
	secs := int64(5)
	deadline.Spec.ActiveDeadlineSeconds = &secs
	if got := specOnly(deadline, first); got == first {
		t.Error("a spec update gave the same pod: the node would not act on it")
	}
}
