package translate

import (
	"time"

	v1 "k8s.io/api/core/v1"
)

// Grace periods come from three places (the pod's
// terminationGracePeriodSeconds, a delete's gracePeriodSeconds, a failed
// probe's terminationGracePeriodSeconds), and each may be any int64: the
// API server accepts them all. Every grace period the agent uses goes
// through ClampGrace, so none becomes a Duration or a CRI timeout that
// wraps around.

// MinGracePeriodSeconds is the kubelet's floor: a pod always gets a chance
// to handle SIGTERM.
const MinGracePeriodSeconds = 2

// MaxGracePeriodSeconds is the ceiling: ten years, the longest timeout the
// CRI client sends a runtime (cri.MaxTimeoutSeconds, which says why; a
// kubelet test keeps the two equal). For an app, a longer grace period
// means the same thing: wait until it exits.
const MaxGracePeriodSeconds int64 = 10 * 365 * 24 * 60 * 60

// DefaultGracePeriodSeconds is the API's default, for a pod whose spec
// says nothing.
const DefaultGracePeriodSeconds = v1.DefaultTerminationGracePeriodSeconds

// ClampGrace bounds a grace period to [MinGracePeriodSeconds,
// MaxGracePeriodSeconds].
func ClampGrace(seconds int64) int64 {
	return min(max(seconds, MinGracePeriodSeconds), MaxGracePeriodSeconds)
}

// GraceDuration is a grace period as a Duration, clamped first so the
// multiplication cannot wrap around.
func GraceDuration(seconds int64) time.Duration {
	return time.Duration(ClampGrace(seconds)) * time.Second
}

// PodGracePeriodSeconds is the pod's own grace period, clamped.
func PodGracePeriodSeconds(pod *v1.Pod) int64 {
	grace := int64(DefaultGracePeriodSeconds)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	return ClampGrace(grace)
}

// KillGrace is the grace period one container's stop gets, clamped: a
// failed probe's own period when that probe is why it is killed, else the
// delete's gracePeriodSeconds when one was given, else the pod's.
func KillGrace(podGrace int64, deletion, probe *int64) int64 {
	switch {
	case probe != nil:
		return ClampGrace(*probe)
	case deletion != nil:
		return ClampGrace(*deletion)
	}
	return ClampGrace(podGrace)
}
