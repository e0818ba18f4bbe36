package node

import (
	"context"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
)

// advance steps the fake clock a second at a time until done holds,
// failing after d. Before each step it waits until the loops wait on the
// clock (waiters timers and tickers), so no step goes unseen.
func (h *harness) advance(t *testing.T, d time.Duration, waiters int, done func() bool) {
	t.Helper()
	for stepped := time.Duration(0); ; stepped += time.Second {
		deadline := time.Now().Add(2 * time.Second)
		for !done() && h.clock.Waiters() < waiters && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if done() {
			return
		}
		if stepped >= d {
			t.Fatalf("not done %s after the clock moved %s", d, stepped)
		}
		h.clock.Step(time.Second)
		time.Sleep(time.Millisecond)
	}
}

func (h *harness) renewTime() time.Time {
	l, err := h.client.CoordinationV1().Leases(LeaseNamespace).Get(context.Background(), testSpec.Name, metav1.GetOptions{})
	if err != nil {
		return time.Time{}
	}
	return l.Spec.RenewTime.Time
}

func (h *harness) count(verb, resource string) int {
	n := 0
	for _, a := range h.client.Actions() {
		if a.GetVerb() == verb && a.GetResource().Resource == resource {
			n++
		}
	}
	return n
}

func TestRunKeepsTheNodeAliveAndStops(t *testing.T) {
	h := newHarness(t)
	// The API server refuses the first registrations: Run retries.
	h.failNext("create", "nodes", 2, apierrors.NewInternalError(errDown))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.k.Run(ctx) }()

	h.advance(t, 5*time.Second, 1, func() bool { return !h.renewTime().IsZero() })
	registeredAt := find(h.node(t).Status.Conditions, v1.NodeReady).LastHeartbeatTime.Time
	first := h.renewTime()

	// Renewed every 10s (give or take the test's 1s clock step).
	h.advance(t, 12*time.Second, 2, func() bool { return h.renewTime().After(first) })
	if gap := h.renewTime().Sub(first); gap < 10*time.Second || gap > 11*time.Second {
		t.Errorf("lease renewed %s after the first renewal, want 10s", gap)
	}
	// Nothing changed: no status patch until the report interval passes.
	if n := h.count("patch", "nodes"); n != 0 {
		t.Errorf("%d status patches with nothing changed", n)
	}
	h.advance(t, DefaultStatusReportInterval+11*time.Second, 2, func() bool { return h.count("patch", "nodes") == 1 })
	if since := h.clock.Now().Sub(registeredAt); since < DefaultStatusReportInterval {
		t.Errorf("status reported %s after registration, before the report interval", since)
	}

	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Run returned %v when its context ended", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestRunStopsWhileRegistrationFails(t *testing.T) {
	h := newHarness(t)
	h.failNext("create", "nodes", 1000, apierrors.NewInternalError(errDown))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- h.k.Run(ctx) }()
	h.advance(t, 10*time.Second, 1, func() bool { return h.count("create", "nodes") >= 3 })
	cancel()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return while retrying registration")
	}
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	h := newHarness(t)
	for name, cfg := range map[string]Config{
		"no client": {Spec: testSpec, Host: h.host},
		"no host":   {Nodes: kubeapitest.Nodes(h.client), Leases: kubeapitest.Leases(h.client), Spec: testSpec},
		"no name":   {Nodes: kubeapitest.Nodes(h.client), Leases: kubeapitest.Leases(h.client), Host: h.host},
	} {
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "node: Config") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
