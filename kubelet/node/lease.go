package node

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// leaseState is the Lease as last written, so a renewal is one Update;
// nil after a failure, so the next renewal reads it again.
type leaseState struct {
	latest   *coordinationv1.Lease
	failures int // renewals failed in a row
}

// leaseLoop renews the Lease every RenewInterval until ctx ends; after a
// failure it retries sooner, with backoff, as the kubelet's lease
// controller does, so one lost call does not cost a quarter of the lease.
func (k *Keeper) leaseLoop(ctx context.Context) {
	for {
		wait := k.cfg.RenewInterval
		if err := k.renewLease(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			k.lease.failures++
			wait = backoff(k.lease.failures, k.cfg.RenewInterval)
			k.log.Warn("renewing the node lease failed", "attempt", k.lease.failures, "retryIn", wait, "err", err)
		} else if k.lease.failures > 0 {
			k.log.Info("renewed the node lease again", "failedAttempts", k.lease.failures)
			k.lease.failures = 0
		}
		if !k.sleep(ctx, wait) {
			return
		}
	}
}

// renewLease sets the Lease's renewTime to now, creating the Lease when
// there is none.
func (k *Keeper) renewLease(ctx context.Context) error {
	if k.lease.latest == nil {
		lease, created, err := k.getOrCreateLease(ctx)
		if err != nil {
			return err
		}
		k.lease.latest = lease
		if created {
			return nil
		}
	}
	lease := k.lease.latest.DeepCopy()
	k.fillLease(lease)
	callCtx, cancel := k.call(ctx)
	defer cancel()
	updated, err := k.cfg.Leases.Update(callCtx, lease)
	if err != nil {
		k.lease.latest = nil
		return fmt.Errorf("updating lease %s/%s: %w", LeaseNamespace, lease.Name, err)
	}
	k.lease.latest = updated
	return nil
}

// getOrCreateLease reads the node's Lease, or creates it already renewed.
func (k *Keeper) getOrCreateLease(ctx context.Context) (lease *coordinationv1.Lease, created bool, err error) {
	callCtx, cancel := k.call(ctx)
	lease, err = k.cfg.Leases.Get(callCtx, LeaseNamespace, k.cfg.Spec.Name)
	cancel()
	if err == nil {
		return lease, false, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, false, fmt.Errorf("reading lease %s/%s: %w", LeaseNamespace, k.cfg.Spec.Name, err)
	}
	lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: k.cfg.Spec.Name, Namespace: LeaseNamespace}}
	k.fillLease(lease)
	callCtx, cancel = k.call(ctx)
	defer cancel()
	lease, err = k.cfg.Leases.Create(callCtx, lease)
	if err != nil {
		return nil, false, fmt.Errorf("creating lease %s/%s: %w", LeaseNamespace, k.cfg.Spec.Name, err)
	}
	return lease, true, nil
}

// fillLease makes lease this node's, renewed now: holder and duration as
// the kubelet sets them, and the Node as its owner, so deleting the Node
// deletes the Lease.
func (k *Keeper) fillLease(lease *coordinationv1.Lease) {
	holder := k.cfg.Spec.Name
	seconds := int32(k.cfg.LeaseDuration.Seconds())
	renewed := metav1.NewMicroTime(k.cfg.Clock.Now())
	lease.Spec.HolderIdentity = &holder
	lease.Spec.LeaseDurationSeconds = &seconds
	lease.Spec.RenewTime = &renewed
	if uid := k.nodeUID(); uid != "" {
		lease.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: v1.SchemeGroupVersion.Version, Kind: "Node", Name: k.cfg.Spec.Name, UID: uid,
		}}
	}
}
