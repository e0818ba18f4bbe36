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

func (c *Client) streamEvents(ctx context.Context, events chan<- *runtimeapi.ContainerEventResponse, onConnect func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel() // releases the stream on every return path
	stream, err := c.runtime.GetContainerEvents(streamCtx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		return c.eventsError(ctx, streamCtx, err)
	}
	if onConnect != nil {
		onConnect(stream)
	}
	for {
		event, err := stream.Recv()
		if err != nil {
			return c.eventsError(ctx, streamCtx, err)
		}
		select {
		case events <- event:
		case <-ctx.Done():
			return nil
		}
	}
}

// eventsError classifies the end of the event stream.
func (c *Client) eventsError(parent, streamCtx context.Context, err error) error {
	switch {
	case parent.Err() != nil:
		return nil // the caller asked to stop
	case status.Code(err) == codes.Unimplemented:
		return fmt.Errorf("%s %s at %s: %w", c.RuntimeName(), c.RuntimeVersion(), c.endpoint, ErrEventsUnsupported)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("get container events: the runtime at %s closed the stream", c.endpoint)
	}
	return newError(callFailure{
		operation: opGetContainerEvents,
		endpoint:  c.endpoint,
		parent:    parent,
		call:      streamCtx,
	}, err)
}
