package kubelet

import (
	"context"
	"sync"
)

// A pod's deletion cancels the sync in flight (an image pull may take
// minutes), but some runtime calls cannot be taken back that way. Canceling
// RunPodSandbox only ends the agent's wait: containerd goes on creating
// the sandbox for seconds, its runc recreating the pod's cgroup under the
// cgroup parent, and then fails and removes its own container cgroup but
// not the pod's. Meanwhile the agent, finding no sandbox, has removed the
// pod's cgroup and forgotten the pod, so the recreated pod cgroup is left
// for good (the soak found one in every few hundred pods deleted while
// starting). So a deletion that comes during such a call waits for the
// call's answer: the sandbox, if made, is then the agent's to stop and
// remove like any other, and the pod's files and cgroup go after it.

// syncCancel cancels one sync, unless it is inside a call that must finish;
// then the cancellation takes effect as soon as the call returns.
type syncCancel struct {
	cancel context.CancelFunc

	mu      sync.Mutex
	holding int
	pending bool
}

type syncCancelKey struct{}

// withSyncCancel returns a context for one sync and its canceler.
func withSyncCancel(parent context.Context) (context.Context, *syncCancel) {
	ctx, cancel := context.WithCancel(parent)
	c := &syncCancel{cancel: cancel}
	return context.WithValue(ctx, syncCancelKey{}, c), c
}

// Cancel cancels the sync now, or when its held calls have returned.
func (c *syncCancel) Cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holding > 0 {
		c.pending = true
		return
	}
	c.cancel()
}

// holdCancel keeps a Cancel of ctx's sync from taking effect until the
// returned release is called. The agent's own shutdown still cancels at
// once: a restarted agent adopts or removes what the call made.
func holdCancel(ctx context.Context) (release func()) {
	c, ok := ctx.Value(syncCancelKey{}).(*syncCancel)
	if !ok {
		return func() {}
	}
	c.mu.Lock()
	c.holding++
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.holding--; c.holding == 0 && c.pending {
			c.cancel()
		}
	}
}
