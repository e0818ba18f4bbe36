package node

import (
	"context"
	"errors"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRegisterCreatesTheNode(t *testing.T) {
	h := newHarness(t)
	if err := h.k.register(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"create nodes"}) {
		t.Errorf("calls %v, want one create", got)
	}
	n := h.node(t)
	if n.Labels[v1.LabelHostname] != testSpec.Name || n.Status.NodeInfo.ContainerRuntimeVersion != "containerd://1.6.20" {
		t.Errorf("created node lacks labels or nodeInfo: %+v", n)
	}
	if c := find(n.Status.Conditions, v1.NodeReady); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("Ready = %+v, want True", c)
	}
	if h.k.nodeUID() != n.UID {
		t.Errorf("keeper remembers uid %q, node has %q", h.k.nodeUID(), n.UID)
	}
}

// existingNode is a Node an earlier run (or an operator) left: a foreign
// label, attached volumes, and Ready Unknown from the node lifecycle
// controller after the agent went away.
func existingNode() *v1.Node {
	return &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: testSpec.Name, UID: "uid-earlier", Labels: map[string]string{"team": "blue"}},
		Spec:       v1.NodeSpec{PodCIDR: "10.244.1.0/24"},
		Status: v1.NodeStatus{
			VolumesAttached: []v1.AttachedVolume{{Name: "kubernetes.io/csi/x", DevicePath: "/dev/x"}},
			Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionUnknown, Reason: "NodeStatusUnknown",
				Message: "Kubelet stopped posting node status.", LastTransitionTime: now0}},
		},
	}
}

func TestRegisterAdoptsTheExistingNode(t *testing.T) {
	h := newHarness(t, existingNode())
	h.clock.SetTime(now1.Time)
	if err := h.k.register(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"create nodes", "get nodes", "patch nodes/status"}) {
		t.Errorf("calls %v, want create (refused), get, patch of status", got)
	}
	n := h.node(t)
	if n.UID != "uid-earlier" || h.k.nodeUID() != "uid-earlier" {
		t.Errorf("uid %q (keeper %q): the existing node was not adopted", n.UID, h.k.nodeUID())
	}
	if n.Labels["team"] != "blue" || n.Labels[v1.LabelOSStable] == "" {
		t.Errorf("labels %v: want the foreign one kept and the well-known ones added", n.Labels)
	}
	if n.Spec.PodCIDR != "10.244.1.0/24" || len(n.Status.VolumesAttached) != 1 {
		t.Errorf("spec or volumesAttached lost: %+v", n)
	}
	if c := find(n.Status.Conditions, v1.NodeReady); c == nil || c.Status != v1.ConditionTrue || !c.LastTransitionTime.Equal(&now1) {
		t.Errorf("Ready = %+v, want True since now (it was Unknown)", c)
	}
	if !n.Status.Capacity.Pods().Equal(*resourcePods(110)) {
		t.Errorf("capacity %v", n.Status.Capacity)
	}
}

func TestRegisterRetriesAConflict(t *testing.T) {
	h := newHarness(t, existingNode())
	h.failNext("patch", "nodes", 1, apierrors.NewConflict(schema.GroupResource{Resource: "nodes"}, testSpec.Name, errors.New("the object has been modified")))
	if err := h.k.register(context.Background()); err != nil {
		t.Fatalf("a conflict was not retried: %v", err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"create nodes", "get nodes", "patch nodes/status", "get nodes", "patch nodes/status"}) {
		t.Errorf("calls %v, want the read and patch done again after the conflict", got)
	}
	if c := find(h.node(t).Status.Conditions, v1.NodeReady); c == nil || c.Status != v1.ConditionTrue {
		t.Errorf("Ready = %+v after the retry, want True", c)
	}
}

func TestRegisterReportsOtherErrors(t *testing.T) {
	h := newHarness(t)
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, testSpec.Name, errors.New(`user "system:node:other" cannot create`))
	h.failNext("create", "nodes", 1, forbidden)
	err := h.k.register(context.Background())
	if !apierrors.IsForbidden(err) {
		t.Fatalf("error %v does not wrap the Forbidden", err)
	}
	if want := "creating node " + testSpec.Name; err == nil || !contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}
