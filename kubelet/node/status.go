package node

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// statusState is what was last reported; only the status loop uses it
// once registration is done.
type statusState struct {
	last     v1.NodeStatus
	reported time.Time
}

func (s *statusState) sent(status v1.NodeStatus, at metav1.Time) {
	s.last, s.reported = *status.DeepCopy(), at.Time
}

// statusLoop checks the status every StatusCheckInterval until ctx ends.
func (k *Keeper) statusLoop(ctx context.Context) {
	ticker := k.cfg.Clock.NewTicker(k.cfg.StatusCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
		if err := k.syncStatus(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("updating the node status failed; retrying at the next check", "err", err)
		}
	}
}

// syncStatus observes the node and sends its status when what the agent
// reports changed or StatusReportInterval passed since the last report,
// as the kubelet does; otherwise it makes no API call.
func (k *Keeper) syncStatus(ctx context.Context) error {
	obs, ready := k.observe(ctx)
	now := k.now()
	desired := Status(k.cfg.Spec, obs, Conditions(obs, ready, k.status.last.Conditions, now))
	changed := StatusChanged(k.status.last, desired)
	if !changed && now.Sub(k.status.reported) < k.cfg.StatusReportInterval {
		return nil
	}
	// Read the Node first: the transition times and the conditions to
	// compare against are the API server's, which the node lifecycle
	// controller may have set to Unknown while the agent was away.
	updated, err := k.updateExisting(ctx, obs, ready)
	if apierrors.IsNotFound(err) {
		k.log.Warn("the node was deleted from the API server; registering it again")
		return k.register(ctx)
	}
	if err != nil {
		return err
	}
	k.logTransitions(k.status.last.Conditions, updated.Status.Conditions)
	k.setNodeUID(updated.UID)
	k.status.sent(updated.Status, now)
	return nil
}

// logTransitions logs one line per condition of the agent's whose status
// changed.
func (k *Keeper) logTransitions(before, after []v1.NodeCondition) {
	for _, t := range ownedConditions {
		was, is := conditionStatus(before, t), conditionStatus(after, t)
		if was == is {
			continue
		}
		c := find(after, t)
		k.log.Info("node condition changed", "type", t, "from", was, "to", is, "reason", c.Reason, "message", c.Message)
		if t == v1.NodeReady {
			k.readyEvent(is)
		}
	}
}

// readyEvent records the kubelet's event for the Node's Ready status.
func (k *Keeper) readyEvent(status v1.ConditionStatus) {
	reason := "NodeNotReady"
	if status == v1.ConditionTrue {
		reason = "NodeReady"
	}
	k.cfg.Events(v1.EventTypeNormal, reason, fmt.Sprintf("Node %s status is now: %s", k.cfg.Spec.Name, reason))
}
