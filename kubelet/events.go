package kubelet

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// EventSource is a runtime's container event stream (CRI
// GetContainerEvents); containerd 2.x has one, containerd 1.6 does not.
type EventSource interface {
	GetContainerEvents(ctx context.Context, containerEventsCh chan *runtimeapi.ContainerEventResponse, connectionEstablishedCallback func(runtimeapi.RuntimeService_GetContainerEventsClient)) error
}

// Reconnect delays for a broken event stream; the relist keeps pods in
// sync meanwhile.
const (
	eventsRetryInitial = 500 * time.Millisecond
	eventsRetryMax     = 30 * time.Second
)

// watchEvents wakes a pod's worker as soon as the runtime reports a change
// of one of its containers, so an exit is acted on in milliseconds instead
// of at the next relist. Without an event stream it returns at once and the
// relist does the job alone.
func (k *Kubelet) watchEvents(ctx context.Context, source EventSource) {
	delay := eventsRetryInitial
	for waitRuntime(ctx, k.cfg.WaitRuntime) == nil {
		events := make(chan *runtimeapi.ContainerEventResponse, 64)
		connected := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- source.GetContainerEvents(ctx, events, func(runtimeapi.RuntimeService_GetContainerEventsClient) { close(connected) })
		}()
		err := k.consumeEvents(ctx, events, connected, done)
		k.relister.setEvented(false)
		k.cfg.Metrics.ObserveEventStreamConnect(err)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, cri.ErrEventsUnsupported):
			k.log.Info("runtime has no container event stream; relisting only", "period", k.cfg.RelistPeriod)
			return
		case cri.IsUnavailable(err):
			// The runtime went away (said once by the CRI client); the
			// loop waits for it, then reconnects without a long back-off.
			k.log.Debug("container event stream ended with the runtime", "err", err)
			delay = eventsRetryInitial
		case errors.Is(err, cri.ErrEventStreamClosed):
			// A runtime that stops (CRI-O on SIGTERM) closes its streams
			// before its socket goes: part of the outage the CRI client
			// reports, not a failure of its own.
			k.log.Info("container event stream closed by the runtime; relisting until it is back", "retryIn", delay)
		case err != nil:
			k.log.Warn("container event stream ended; relisting until it is back", "err", err, "retryIn", delay)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, eventsRetryMax)
	}
}

// streamSettled is how long an opened stream must stay up before it counts
// as working: a runtime without the stream accepts the call and fails it on
// the first read.
const streamSettled = 300 * time.Millisecond

func (k *Kubelet) consumeEvents(ctx context.Context, events <-chan *runtimeapi.ContainerEventResponse, connected <-chan struct{}, done <-chan error) error {
	var settled <-chan time.Time
	for {
		select {
		case <-connected:
			settled = time.After(streamSettled)
			connected = nil
		case <-settled:
			k.announceEvents()
			k.relister.setEvented(true)
			settled = nil
		case err := <-done:
			return err
		case ev := <-events:
			k.handleEvent(ev)
		}
	}
}

func (k *Kubelet) handleEvent(ev *runtimeapi.ContainerEventResponse) {
	// Every change, ours or not, refreshes the relist's view (counts,
	// pods present) within a period; an event without the sandbox's
	// labels (containerd sends a removed sandbox's without its status)
	// reaches its pod that way.
	k.relister.relistSoon()
	labels := ev.GetPodSandboxStatus().GetLabels()
	if labels[translate.ManagedByLabel] != translate.ManagedByValue || labels[translate.NodeLabel] != k.cfg.NodeName {
		return
	}
	if created := ev.GetCreatedAt(); created > 0 {
		k.cfg.Metrics.ObserveEventLatency(time.Since(time.Unix(0, created)))
	}
	uid := types.UID(labels[translate.PodUIDLabel])
	k.log.Debug("container event", slog.String("type", ev.GetContainerEventType().String()), "pod", labels[translate.PodNameLabel], "container", shortID(ev.GetContainerId()))
	// The runtime stamps an event after the change it reports.
	changedBy := time.Now()
	if created := ev.GetCreatedAt(); created > 0 {
		changedBy = time.Unix(0, created)
	}
	k.handleRuntimeChanges([]types.UID{uid}, nil, func(_ types.UID, rec *podRecord) bool { return rec.observedAt.After(changedBy) })
}

// announceEvents says the first time that the event stream works; later
// reconnections (after a runtime restart) are worth a debug line only.
func (k *Kubelet) announceEvents() {
	if k.eventsAnnounced.Swap(true) {
		k.log.Debug("using the runtime's container events again")
		return
	}
	k.log.Info("using the runtime's container events")
}
