package eventrecorder

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record"
)

// Sink takes the Events (kubeapi.Events).
type Sink interface {
	Create(ctx context.Context, event *v1.Event) (*v1.Event, error)
	Patch(ctx context.Context, namespace, name string, patch []byte) (*v1.Event, error)
}

// Defaults, client-go's where it has one.
const (
	// DefaultQueueSize is client-go's maxQueuedEvents.
	DefaultQueueSize   = 1000
	defaultCallTimeout = 10 * time.Second
	// maxTries bounds the tries of one event while the API server does
	// not answer, as client-go's maxTriesPerEvent; the queue meanwhile
	// fills and drops.
	maxTries     = 12
	maxRetryWait = 10 * time.Second
)

// Config says whose events go where.
type Config struct {
	// NodeName is the source host and reporting instance.
	NodeName string
	// Mirror finds the UID of a static pod's mirror pod by its config
	// hash; a static pod's events carry its UID on the node, as the
	// kubelet's do, until its mirror exists.
	Mirror func(hash string) (mirror types.UID, ok bool)
	// QueueSize bounds the events waiting to be sent; CallTimeout each
	// call.
	QueueSize   int
	CallTimeout time.Duration
	Logger      *slog.Logger
	Now         func() time.Time
}

// Recorder queues events and, in Run, posts them.
type Recorder struct {
	cfg        Config
	log        *slog.Logger
	queue      chan queued
	correlator *record.EventCorrelator

	dropped  atomic.Uint64
	dropping atomic.Bool
	// lastErr is the last failure logged, so one that repeats (an API
	// server away) is logged once.
	lastErr string
}

type queued struct {
	event *v1.Event
	// mirrorHash, for a static pod's event, finds its mirror pod.
	mirrorHash string
}

// New makes a Recorder; it starts nothing, and queues until Run.
func New(cfg Config) *Recorder {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = defaultCallTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Recorder{
		cfg: cfg, log: cfg.Logger, queue: make(chan queued, cfg.QueueSize),
		correlator: record.NewEventCorrelatorWithOptions(record.CorrelatorOptions{}),
	}
}

// Pod queues an event of a pod. It never blocks: with the queue full the
// event is dropped and counted.
func (r *Recorder) Pod(e PodEvent) {
	if e.Time.IsZero() {
		e.Time = r.cfg.Now()
	}
	q := queued{event: podEvent(e, r.cfg.NodeName)}
	if e.Static {
		q.mirrorHash = e.MirrorHash
	}
	r.enqueue(q)
}

// Node queues an event of this node (Starting, NodeReady, ...).
func (r *Recorder) Node(eventType, reason, message string) {
	r.enqueue(queued{event: nodeEvent(r.cfg.NodeName, eventType, reason, message, r.cfg.Now())})
}

func (r *Recorder) enqueue(q queued) {
	select {
	case r.queue <- q:
	default:
		n := r.dropped.Add(1)
		if !r.dropping.Swap(true) {
			r.log.Warn("event queue full: dropping events until the API server takes them", "queued", cap(r.queue), "droppedSoFar", n)
		}
	}
}

// Dropped is how many events the full queue dropped.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Run posts the queued events to sink, one at a time in order, until ctx
// ends; what is still queued then is dropped with the agent.
func (r *Recorder) Run(ctx context.Context, sink Sink) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case q := <-r.queue:
			if r.dropping.Load() && len(r.queue) < cap(r.queue)/2 {
				r.dropping.Store(false)
				r.log.Info("event queue has room again", "droppedSoFar", r.dropped.Load())
			}
			r.send(ctx, sink, q)
		}
	}
}

// send correlates one event with those sent before (a repeat becomes a
// patch of the first) and writes it, retrying while the API server does
// not answer.
func (r *Recorder) send(ctx context.Context, sink Sink, q queued) {
	ev := q.event
	if q.mirrorHash != "" && r.cfg.Mirror != nil {
		if uid, ok := r.cfg.Mirror(q.mirrorHash); ok {
			ev.InvolvedObject.UID = uid
		}
	}
	result, err := r.correlator.EventCorrelate(ev)
	if err != nil {
		r.log.Debug("correlating an event failed", "reason", ev.Reason, "err", err)
	}
	if result == nil || result.Skip {
		return // the spam filter's: too many events of one object
	}
	wait := time.Second
	for try := 1; ; try++ {
		err := r.write(ctx, sink, result.Event, result.Patch)
		if err == nil || !retriable(err) || try == maxTries || ctx.Err() != nil {
			r.report(result.Event, err)
			return
		}
		r.report(result.Event, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// write patches the Event of an earlier occurrence, or creates it (also
// when that one is gone), as client-go's recordEvent does.
func (r *Recorder) write(ctx context.Context, sink Sink, ev *v1.Event, patch []byte) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	defer cancel()
	var out *v1.Event
	var err error
	update := ev.Count > 1 && patch != nil
	if update {
		out, err = sink.Patch(ctx, ev.Namespace, ev.Name, patch)
	}
	if !update || apierrors.IsNotFound(err) {
		create := *ev
		create.ResourceVersion = ""
		out, err = sink.Create(ctx, &create)
	}
	if err != nil {
		return err
	}
	r.correlator.UpdateState(out)
	return nil
}

// retriable says whether a call may succeed later: the API server did
// not answer, or answered that it is busy. Other answers refuse the event
// itself.
func retriable(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return true
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err)
}

// report logs a failure once while it repeats, and the recovery.
func (r *Recorder) report(ev *v1.Event, err error) {
	if err == nil {
		if r.lastErr != "" {
			r.log.Info("posting events to the API server works again")
			r.lastErr = ""
		}
		return
	}
	if apierrors.IsAlreadyExists(err) || apierrors.HasStatusCause(err, v1.NamespaceTerminatingCause) {
		r.log.Debug("event refused by the API server", "object", ev.InvolvedObject.Name, "reason", ev.Reason, "err", err)
		return
	}
	if err.Error() != r.lastErr {
		r.lastErr = err.Error()
		r.log.Warn("posting an event to the API server failed", "object", ev.InvolvedObject.Namespace+"/"+ev.InvolvedObject.Name,
			"reason", ev.Reason, "retry", retriable(err), "err", err)
	}
}
