package node

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/client-go/util/retry"
)

// registerRetryLimit caps the wait between registration attempts (the
// kubelet's is 7s).
const registerRetryLimit = 7 * time.Second

// registerUntilDone registers the node, retrying with backoff until it
// succeeds; it fails only when ctx ends.
func (k *Keeper) registerUntilDone(ctx context.Context) error {
	for failures := 0; ; {
		err := k.register(ctx)
		if err == nil {
			return nil
		}
		failures++
		k.log.Warn("registering the node with the API server failed; retrying", "attempt", failures, "err", err)
		if !k.sleep(ctx, backoff(failures, registerRetryLimit)) {
			return ctx.Err()
		}
	}
}

// register creates the Node or, when one of that name exists (an earlier
// run, or an operator's), adopts it: sets its well-known labels and the
// status this agent observes, as the kubelet's registerWithAPIServer.
func (k *Keeper) register(ctx context.Context) error {
	obs, ready := k.observe(ctx)
	desired := Build(k.cfg.Spec, obs, Conditions(obs, ready, nil, k.now()))
	callCtx, cancel := k.call(ctx)
	created, err := k.cfg.Nodes.Create(callCtx, desired)
	cancel()
	if err == nil {
		k.registered(created, "registered the node")
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating node %s: %w", k.cfg.Spec.Name, err)
	}
	var adopted *v1.Node
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		adopted, err = k.updateExisting(ctx, obs, ready)
		return err
	})
	if err != nil {
		return fmt.Errorf("adopting the existing node %s: %w", k.cfg.Spec.Name, err)
	}
	k.registered(adopted, "adopted the existing node")
	return nil
}

// registered remembers the Node and logs once.
func (k *Keeper) registered(n *v1.Node, message string) {
	k.setNodeUID(n.UID)
	k.status.sent(n.Status, k.now())
	k.readyEvent(conditionStatus(n.Status.Conditions, v1.NodeReady))
	k.log.Info(message, "uid", n.UID, "ready", conditionStatus(n.Status.Conditions, v1.NodeReady))
}

// updateExisting reads the Node and patches what this agent owns of it
// (labels, status fields, its conditions) through nodes/status.
func (k *Keeper) updateExisting(ctx context.Context, obs Observations, ready Readiness) (*v1.Node, error) {
	callCtx, cancel := k.call(ctx)
	existing, err := k.cfg.Nodes.Get(callCtx, k.cfg.Spec.Name)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("reading node %s: %w", k.cfg.Spec.Name, err)
	}
	desired := Build(k.cfg.Spec, obs, Conditions(obs, ready, existing.Status.Conditions, k.now()))
	updated := existing.DeepCopy()
	Apply(updated, desired)
	return k.patchStatus(ctx, existing, updated)
}

// patchStatus sends the difference between old and updated as a
// strategic merge patch of nodes/status, as the kubelet's
// PatchNodeStatus does: fields others own (volumesAttached, foreign
// conditions) are not in the patch, so they are left alone.
func (k *Keeper) patchStatus(ctx context.Context, old, updated *v1.Node) (*v1.Node, error) {
	oldData, err := json.Marshal(old)
	if err != nil {
		return nil, fmt.Errorf("encoding node %s: %w", old.Name, err)
	}
	newData, err := json.Marshal(updated)
	if err != nil {
		return nil, fmt.Errorf("encoding node %s: %w", old.Name, err)
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, v1.Node{})
	if err != nil {
		return nil, fmt.Errorf("computing the status patch of node %s: %w", old.Name, err)
	}
	if string(patch) == "{}" {
		return old, nil
	}
	callCtx, cancel := k.call(ctx)
	defer cancel()
	patched, err := k.cfg.Nodes.PatchStatus(callCtx, old.Name, patch)
	if err != nil {
		return nil, fmt.Errorf("patching the status of node %s: %w", old.Name, err)
	}
	return patched, nil
}

// observe reads the host and runs the agent's readiness checks.
func (k *Keeper) observe(ctx context.Context) (Observations, Readiness) {
	return k.cfg.Host.Observe(), k.cfg.Ready(ctx)
}

func (k *Keeper) now() metav1.Time { return metav1.NewTime(k.cfg.Clock.Now()) }

func conditionStatus(conds []v1.NodeCondition, t v1.NodeConditionType) v1.ConditionStatus {
	if c := find(conds, t); c != nil {
		return c.Status
	}
	return v1.ConditionUnknown
}
