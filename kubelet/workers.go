package kubelet

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// syncFunc syncs one pod once. It returns when to sync again (0: only on
// the next change) and whether the pod is gone for good.
type syncFunc func(ctx context.Context, uid types.UID) (requeueAfter time.Duration, done bool)

// podWorkers runs one goroutine per pod UID. A wake-up for a busy worker is
// kept in a one-slot channel, so any number of updates collapse into one
// more sync, which reads the newest desired state.
type podWorkers struct {
	sync syncFunc
	log  *slog.Logger

	mu      sync.Mutex
	ctx     context.Context
	workers map[types.UID]*podWorker
	wg      sync.WaitGroup
}

type podWorker struct {
	wake   chan struct{}
	cancel context.CancelFunc // of the sync in flight, if any
}

func newPodWorkers(fn syncFunc, log *slog.Logger) *podWorkers {
	return &podWorkers{sync: fn, log: log, workers: map[types.UID]*podWorker{}}
}

// start sets the context workers live in; enqueues before start are kept.
func (p *podWorkers) start(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ctx = ctx
	for uid, w := range p.workers {
		p.spawn(uid, w)
	}
}

// wait blocks until every worker has stopped after the context ended.
func (p *podWorkers) wait() { p.wg.Wait() }

func (p *podWorkers) enqueue(uid types.UID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.workers[uid]
	if !ok {
		w = &podWorker{wake: make(chan struct{}, 1)}
		p.workers[uid] = w
		if p.ctx != nil {
			p.spawn(uid, w)
		}
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// cancelInFlight aborts the sync in progress, e.g. an image pull for a pod
// whose manifest was just deleted.
func (p *podWorkers) cancelInFlight(uid types.UID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.workers[uid]; ok && w.cancel != nil {
		w.cancel()
	}
}

func (p *podWorkers) spawn(uid types.UID, w *podWorker) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.loop(p.ctx, uid, w)
	}()
}

func (p *podWorkers) loop(ctx context.Context, uid types.UID, w *podWorker) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
		requeue, done := p.runOnce(ctx, uid, w)
		if done && p.retire(uid, w) {
			return
		}
		timer.Stop()
		if requeue > 0 {
			timer.Reset(requeue)
		}
	}
}

func (p *podWorkers) runOnce(ctx context.Context, uid types.UID, w *podWorker) (time.Duration, bool) {
	syncCtx, canceler := withSyncCancel(ctx)
	p.mu.Lock()
	w.cancel = canceler.Cancel
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		w.cancel = nil
		p.mu.Unlock()
		canceler.cancel()
	}()
	return p.sync(syncCtx, uid)
}

// retire removes a finished worker unless work arrived meanwhile.
func (p *podWorkers) retire(uid types.UID, w *podWorker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(w.wake) > 0 {
		return false
	}
	delete(p.workers, uid)
	return true
}
