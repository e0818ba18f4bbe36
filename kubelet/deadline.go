package kubelet

import (
	"math"
	"time"

	v1 "k8s.io/api/core/v1"
)

// The kubelet's reason and message for a pod past its activeDeadlineSeconds.
const (
	ReasonDeadlineExceeded  = "DeadlineExceeded"
	messageDeadlineExceeded = "Pod was active on the node longer than the specified deadline"
)

// activeDeadlineLeft is how long the pod may still run under
// spec.activeDeadlineSeconds, counted from its start on this node (the
// API's status.startTime when it has one, which an agent restart keeps);
// ok is false when it has no deadline.
func activeDeadlineLeft(pod *v1.Pod, firstSeen, now time.Time) (left time.Duration, ok bool) {
	if pod == nil || pod.Spec.ActiveDeadlineSeconds == nil {
		return 0, false
	}
	start := firstSeen
	if s := pod.Status.StartTime; s != nil && !s.IsZero() && s.Time.Before(start) {
		start = s.Time
	}
	// A manifest may give any int64; the API server allows at most
	// MaxInt32 seconds, and more would overflow the duration into the past.
	seconds := min(*pod.Spec.ActiveDeadlineSeconds, math.MaxInt32)
	return start.Add(time.Duration(seconds) * time.Second).Sub(now), true
}

// checkDeadlineLocked marks a pod past its deadline: from then on it is
// Failed with DeadlineExceeded and runs nothing, as the kubelet kills it.
// It returns how long until the deadline when it has not passed (0 when
// there is none, or it has). Callers hold k.mu.
func (k *Kubelet) checkDeadlineLocked(rec *podRecord, pod *v1.Pod) time.Duration {
	if rec.deadlineExceeded || rec.finished != "" {
		return 0
	}
	left, ok := activeDeadlineLeft(pod, rec.firstSeen, k.cfg.Now())
	if !ok {
		return 0
	}
	if left > 0 {
		return left
	}
	rec.deadlineExceeded = true
	k.recordLocked(rec, Event{Time: k.cfg.Now(), Type: v1.EventTypeWarning, Reason: ReasonDeadlineExceeded, Message: messageDeadlineExceeded})
	k.log.Info("pod past its activeDeadlineSeconds: stopping it", "pod", podRef(pod, pod.UID))
	return 0
}

// deadlineStatus is the status of a pod past its deadline: Failed, with
// the kubelet's reason and message.
func deadlineStatus(computed, last v1.PodStatus, obs *observedPod) v1.PodStatus {
	s := finishedStatus(computed, last, v1.PodFailed, obs)
	s.Phase, s.Reason, s.Message = v1.PodFailed, ReasonDeadlineExceeded, messageDeadlineExceeded
	return s
}
