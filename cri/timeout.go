package cri

import (
	"math"
	"time"
)

// MaxTimeoutSeconds is the longest timeout, in seconds, the client sends a
// runtime or waits for: ten years. CRI timeouts are int64 seconds, and the
// runtimes (like this client) turn them into a time.Duration, int64
// nanoseconds, by multiplying by 1e9. Past 9,223,372,036 s (292 years)
// that wraps around: containerd then SIGKILLs at once instead of sending
// SIGTERM, and a call deadline of "grace + margin" comes out negative, so
// the call fails before it is made and a pod stays Terminating. Any
// non-negative int64 is a valid terminationGracePeriodSeconds for the API
// server; ten years keeps every such value's meaning ("wait for the app")
// while leaving the product, and any margin added to it, far from the
// limit.
const MaxTimeoutSeconds int64 = 10 * 365 * 24 * 60 * 60

// clampTimeoutSeconds bounds a CRI timeout to [0, MaxTimeoutSeconds].
func clampTimeoutSeconds(seconds int64) int64 {
	return min(max(seconds, 0), MaxTimeoutSeconds)
}

// clampTimeout bounds a timeout given as a Duration the same way.
func clampTimeout(timeout time.Duration) time.Duration {
	return min(max(timeout, 0), time.Duration(MaxTimeoutSeconds)*time.Second)
}

// callLimit is how long a call may take when the runtime may itself wait
// for wait before answering (a stop's grace period, a command's timeout):
// base plus wait, saturating at the longest Duration instead of wrapping
// around to a negative deadline that would fail the call at once.
func callLimit(base, wait time.Duration) time.Duration {
	wait = max(wait, 0)
	if base > math.MaxInt64-wait {
		return math.MaxInt64
	}
	return base + wait
}
