package node

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func (h *harness) lease(t *testing.T) *coordinationv1.Lease {
	t.Helper()
	l, err := h.client.CoordinationV1().Leases(LeaseNamespace).Get(context.Background(), testSpec.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRenewLeaseCreatesThenUpdates(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.k.register(ctx); err != nil {
		t.Fatal(err)
	}
	h.verbs()
	if err := h.k.renewLease(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"get leases", "create leases"}) {
		t.Errorf("first renewal: calls %v, want get and create", got)
	}
	l := h.lease(t)
	if *l.Spec.HolderIdentity != testSpec.Name || *l.Spec.LeaseDurationSeconds != 40 || !l.Spec.RenewTime.Time.Equal(now0.Time) {
		t.Errorf("lease spec %+v: want holder %s, 40s, renewed now", l.Spec, testSpec.Name)
	}
	owner := l.OwnerReferences
	if len(owner) != 1 || owner[0].Kind != "Node" || owner[0].APIVersion != "v1" || owner[0].Name != testSpec.Name || owner[0].UID != h.node(t).UID {
		t.Errorf("owner references %+v: want the Node", owner)
	}

	h.verbs()
	h.clock.Step(10 * time.Second)
	if err := h.k.renewLease(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"update leases"}) {
		t.Errorf("renewal: calls %v, want one update", got)
	}
	if got := h.lease(t).Spec.RenewTime.Time; !got.Equal(now0.Add(10 * time.Second)) {
		t.Errorf("renewTime %v, want 10s later", got)
	}
}

func TestRenewLeaseAfterAFailureReadsItAgain(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if err := h.k.renewLease(ctx); err != nil {
		t.Fatal(err)
	}
	h.failNext("update", "leases", 1, apierrors.NewServiceUnavailable("etcd leader changed"))
	err := h.k.renewLease(ctx)
	if !apierrors.IsServiceUnavailable(err) {
		t.Fatalf("error %v does not wrap the API server's", err)
	}
	h.verbs()
	h.clock.Step(time.Second)
	if err := h.k.renewLease(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.verbs(); !slices.Equal(got, []string{"get leases", "update leases"}) {
		t.Errorf("calls %v, want the lease read again, then updated", got)
	}
}

func TestLeaseOwnerFollowsARecreatedNode(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.k.setNodeUID("uid-1")
	if err := h.k.renewLease(ctx); err != nil {
		t.Fatal(err)
	}
	h.k.setNodeUID("uid-2")
	if err := h.k.renewLease(ctx); err != nil {
		t.Fatal(err)
	}
	if owner := h.lease(t).OwnerReferences; len(owner) != 1 || owner[0].UID != "uid-2" {
		t.Errorf("owner %+v: want the new Node's uid, or the garbage collector deletes the lease", owner)
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 6: 6400 * time.Millisecond, 7: 10 * time.Second, 50: 10 * time.Second} {
		if got := backoff(n, 10*time.Second); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
}

var errDown = errors.New("connection refused")
