package agent

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/minikubelet/minikubelet/cni"
)

// readinessTTL is how long a good answer is reused; a bad one is not
// reused, so recovery shows at the next check.
const readinessTTL = 5 * time.Second

// readinessTimeout bounds one Status call.
const readinessTimeout = 5 * time.Second

// readiness remembers the runtime's NetworkReady for a few seconds, so
// starting many pods costs one CRI Status call, not one per pod. Callers
// that arrive while a call is under way share it instead of queueing
// behind a lock, and each stops waiting when its own context ends: a hung
// runtime cannot pile up /healthz requests.
type readiness struct {
	runtime cni.StatusReader
	calls   singleflight.Group
	// plugins, when set, says whether the pod network's CNI plugins are
	// still installed (cni.Manager.PluginsReady); it is asked every time:
	// a few stat calls, and a plugin put back counts at once. Set once the
	// network starts, which in a cluster may be after the agent (setPlugins).
	plugins atomic.Pointer[func() error]

	mu     sync.Mutex
	goodAt time.Time
}

func newReadiness(runtime cni.StatusReader) *readiness { return &readiness{runtime: runtime} }

// setPlugins makes check ask plugins first.
func (r *readiness) setPlugins(plugins func() error) { r.plugins.Store(&plugins) }

func (r *readiness) check(ctx context.Context) error {
	if plugins := r.plugins.Load(); plugins != nil {
		if err := (*plugins)(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	fresh := !r.goodAt.IsZero() && time.Since(r.goodAt) < readinessTTL
	r.mu.Unlock()
	if fresh {
		return nil
	}
	// The shared call outlives any one caller, so it runs under its own
	// deadline rather than under the first caller's context.
	result := r.calls.DoChan("status", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readinessTimeout)
		defer cancel()
		err := cni.CheckNetworkReady(ctx, r.runtime, readinessTimeout)
		if err == nil {
			r.mu.Lock()
			r.goodAt = time.Now()
			r.mu.Unlock()
		}
		return nil, err
	})
	select {
	case res := <-result:
		return res.Err
	case <-ctx.Done():
		return ctx.Err()
	}
}
