package node

import (
	"context"
	"slices"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// registered is a harness whose node is registered, with calls cleared.
func registered(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	if err := h.k.register(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.verbs()
	return h
}

func TestSyncStatusSendsNothingWhenNothingChanged(t *testing.T) {
	h := registered(t)
	for range 5 {
		h.clock.Step(10 * time.Second)
		if err := h.k.syncStatus(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.verbs(); len(got) != 0 {
		t.Errorf("calls %v within the report interval with nothing changed, want none", got)
	}
}

func TestSyncStatusSendsAChangeAtOnce(t *testing.T) {
	h := registered(t)
	h.clock.Step(10 * time.Second)
	h.setReady(Readiness{Network: errDown})
	if err := h.k.syncStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"get nodes", "patch nodes/status"}) {
		t.Errorf("calls %v, want the node read and its status patched", got)
	}
	conds := h.node(t).Status.Conditions
	ready, network := find(conds, v1.NodeReady), find(conds, v1.NodeNetworkUnavailable)
	if ready.Status != v1.ConditionFalse || ready.Reason != ReasonNotReady || network.Status != v1.ConditionTrue {
		t.Errorf("Ready %+v, NetworkUnavailable %+v: want False and True", ready, network)
	}
	if want := now0.Add(10 * time.Second); !ready.LastTransitionTime.Time.Equal(want) {
		t.Errorf("Ready transition %v, want %v", ready.LastTransitionTime, want)
	}
	mem := find(conds, v1.NodeMemoryPressure)
	if !mem.LastTransitionTime.Time.Equal(now0.Time) {
		t.Errorf("MemoryPressure transition moved to %v though it did not change", mem.LastTransitionTime)
	}

	h.host.set(func(o *Observations) { o.MemoryAvailable = 10 << 20 })
	h.clock.Step(10 * time.Second)
	if err := h.k.syncStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := find(h.node(t).Status.Conditions, v1.NodeMemoryPressure); c.Status != v1.ConditionTrue {
		t.Errorf("MemoryPressure %+v after MemAvailable fell to 10Mi, want True", c)
	}
}

func TestSyncStatusReportsEveryIntervalAnyway(t *testing.T) {
	h := registered(t)
	h.clock.Step(DefaultStatusReportInterval)
	if err := h.k.syncStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"get nodes", "patch nodes/status"}) {
		t.Errorf("calls %v after the report interval, want a patch", got)
	}
	want := metav1.NewTime(now0.Add(DefaultStatusReportInterval))
	if c := find(h.node(t).Status.Conditions, v1.NodeReady); !c.LastHeartbeatTime.Equal(&want) {
		t.Errorf("Ready heartbeat %v, want %v", c.LastHeartbeatTime, want)
	}
}

func TestSyncStatusReplacesUnknownFromTheController(t *testing.T) {
	h := registered(t)
	n := h.node(t)
	*find(n.Status.Conditions, v1.NodeReady) = v1.NodeCondition{Type: v1.NodeReady, Status: v1.ConditionUnknown, Reason: "NodeStatusUnknown"}
	if _, err := h.client.CoreV1().Nodes().UpdateStatus(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.clock.Step(DefaultStatusReportInterval)
	if err := h.k.syncStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := find(h.node(t).Status.Conditions, v1.NodeReady); c.Status != v1.ConditionTrue {
		t.Errorf("Ready %+v: the agent's report did not replace the controller's Unknown", c)
	}
}

func TestSyncStatusRegistersADeletedNodeAgain(t *testing.T) {
	h := registered(t)
	if err := h.client.CoreV1().Nodes().Delete(context.Background(), testSpec.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	h.verbs()
	h.clock.Step(DefaultStatusReportInterval)
	if err := h.k.syncStatus(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"get nodes", "create nodes"}) {
		t.Errorf("calls %v, want the node created again", got)
	}
}

// The node's Ready status is told as the kubelet's events are: NodeReady
// at registration, NodeNotReady when it goes, NodeReady when it is back.
func TestReadyChangesAreEvents(t *testing.T) {
	h := newHarness(t)
	var events []string
	h.k.cfg.Events = func(eventType, reason, message string) { events = append(events, eventType+" "+reason+": "+message) }
	if err := h.k.register(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ready := range []Readiness{{Network: errDown}, {}} {
		h.setReady(ready)
		h.clock.Step(10 * time.Second)
		if err := h.k.syncStatus(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"Normal NodeReady: Node " + testSpec.Name + " status is now: NodeReady",
		"Normal NodeNotReady: Node " + testSpec.Name + " status is now: NodeNotReady",
		"Normal NodeReady: Node " + testSpec.Name + " status is now: NodeReady",
	}
	if !slices.Equal(events, want) {
		t.Errorf("events %q, want %q", events, want)
	}
}
