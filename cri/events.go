package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// GetContainerEvents streams the runtime's container events into
// containerEventsCh until ctx ends, then returns nil. connectionEstablishedCallback,
// when set, is called once the stream is open. The stream has no deadline of
// its own: it is meant to last as long as the agent runs.
//
// A runtime without the event stream yields an error matching
// ErrEventsUnsupported (errors.Is), so the caller can fall back to relisting.
// Any other end of the stream is an error; the caller may reconnect.
func (c *Client) GetContainerEvents(ctx context.Context, containerEventsCh chan *runtimeapi.ContainerEventResponse, connectionEstablishedCallback func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	start := time.Now()
	err := c.streamEvents(ctx, containerEventsCh, connectionEstablishedCallback)
	c.record(ctx, opGetContainerEvents, "", time.Since(start), err)
	return err
}

// eventStreamSettle is how long a freshly opened event stream must stay
// open, without an event, before it counts as established: runtimes without
// events end it at once — containerd 1.6 with Unimplemented, CRI-O (unless
// enable_pod_events is set) by closing it cleanly. gRPC itself gives no
// earlier sign, since opening a server stream does not wait for the server.
const eventStreamSettle = 200 * time.Millisecond

func (c *Client) streamEvents(ctx context.Context, events chan<- *runtimeapi.ContainerEventResponse, onConnect func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel() // releases the stream and its reader on every return path
	stream, err := c.runtime.GetContainerEvents(streamCtx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		return c.eventsError(ctx, streamCtx, err, 0)
	}
	received := make(chan receivedEvent)
	go receiveEvents(streamCtx, stream, received)
	settled := time.NewTimer(eventStreamSettle)
	defer settled.Stop()
	connected := func() {
		if onConnect != nil {
			onConnect(stream)
			onConnect = nil
		}
	}
	delivered := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-settled.C:
			connected()
		case r := <-received:
			if r.err != nil {
				return c.eventsError(ctx, streamCtx, r.err, delivered)
			}
			connected()
			select {
			case events <- r.event:
				delivered++
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// receivedEvent is one Recv result.
type receivedEvent struct {
	event *runtimeapi.ContainerEventResponse
	err   error
}

// receiveEvents hands each Recv result to out until the stream fails or
// ctx ends.
func receiveEvents(ctx context.Context, stream runtimeapi.RuntimeService_GetContainerEventsClient, out chan<- receivedEvent) {
	for {
		event, err := stream.Recv()
		select {
		case out <- receivedEvent{event, err}:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// eventsError classifies the end of the event stream after received
// events.
func (c *Client) eventsError(parent, streamCtx context.Context, err error, received int) error {
	switch {
	case parent.Err() != nil:
		return nil // the caller asked to stop
	case status.Code(err) == codes.Unimplemented:
		return fmt.Errorf("%s %s at %s: %w", c.RuntimeName(), c.RuntimeVersion(), c.endpoint, ErrEventsUnsupported)
	case errors.Is(err, io.EOF) && received == 0:
		// CRI-O answers this way while enable_pod_events is off.
		return fmt.Errorf("%s %s at %s closed the event stream before any event (CRI-O does so unless enable_pod_events = true): %w",
			c.RuntimeName(), c.RuntimeVersion(), c.endpoint, ErrEventsUnsupported)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("get container events: the runtime at %s closed the stream: %w", c.endpoint, ErrEventStreamClosed)
	}
	return newError(callFailure{
		operation: opGetContainerEvents,
		endpoint:  c.endpoint,
		parent:    parent,
		call:      streamCtx,
	}, err)
}
