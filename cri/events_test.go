package cri

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestGetContainerEventsStreamsUntilContextEnds(t *testing.T) {
	path := socketIn(t, "events.sock")
	fake := newFakeRuntime()
	fake.hang = true
	fake.events = []*runtimeapi.ContainerEventResponse{
		{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT},
		{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT},
	}
	serve(t, path, fake)
	client := dial(t, path, Config{})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan *runtimeapi.ContainerEventResponse)
	connected := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- client.GetContainerEvents(ctx, events, func(runtimeapi.RuntimeService_GetContainerEventsClient) { close(connected) })
	}()

	<-connected
	for _, want := range fake.events {
		select {
		case got := <-events:
			if got.GetContainerEventType() != want.GetContainerEventType() {
				t.Errorf("event %v, want %v", got.GetContainerEventType(), want.GetContainerEventType())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no event arrived")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("GetContainerEvents after cancel = %v, want nil", err)
	}
}

func TestGetContainerEventsUnsupported(t *testing.T) {
	path := socketIn(t, "noevents.sock")
	fake := newFakeRuntime()
	fake.noEvents = true
	serve(t, path, fake)
	client := dial(t, path, Config{})

	err := client.GetContainerEvents(context.Background(), make(chan *runtimeapi.ContainerEventResponse), nil)
	if !errors.Is(err, ErrEventsUnsupported) {
		t.Fatalf("GetContainerEvents on a runtime without events = %v, want ErrEventsUnsupported", err)
	}
	if !strings.Contains(err.Error(), "fake 0.0.1") {
		t.Errorf("error %q should name the runtime", err)
	}
}

// CRI-O without enable_pod_events accepts the call and ends the stream at
// once: no events, not a broken stream to reconnect to every few seconds.
func TestGetContainerEventsStreamClosedAtOnceIsUnsupported(t *testing.T) {
	path := socketIn(t, "closing.sock")
	serve(t, path, newFakeRuntime()) // sends no events and ends the stream
	client := dial(t, path, Config{})

	connected := false
	err := client.GetContainerEvents(context.Background(), make(chan *runtimeapi.ContainerEventResponse),
		func(runtimeapi.RuntimeService_GetContainerEventsClient) { connected = true })
	if !errors.Is(err, ErrEventsUnsupported) || !strings.Contains(err.Error(), "enable_pod_events") {
		t.Fatalf("GetContainerEvents on a stream closed before any event = %v, want ErrEventsUnsupported naming the CRI-O setting", err)
	}
	if connected {
		t.Error("the connection callback ran for a stream that ended at once")
	}
}

func TestGetContainerEventsReportsStreamClosedByRuntime(t *testing.T) {
	path := socketIn(t, "closing.sock")
	fake := newFakeRuntime()
	fake.events = []*runtimeapi.ContainerEventResponse{{ContainerId: "c1"}} // then ends the stream
	serve(t, path, fake)
	client := dial(t, path, Config{})

	events := make(chan *runtimeapi.ContainerEventResponse, 1)
	err := client.GetContainerEvents(context.Background(), events, nil)
	if err == nil || errors.Is(err, ErrEventsUnsupported) || !strings.Contains(err.Error(), "closed the stream") {
		t.Fatalf("GetContainerEvents on a stream closed after an event = %v, want an error saying so (not unsupported)", err)
	}
}

func TestGetContainerEventsUnsupportedDoesNotReportConnected(t *testing.T) {
	path := socketIn(t, "noevents-cb.sock")
	fake := newFakeRuntime()
	fake.noEvents = true
	serve(t, path, fake)
	client := dial(t, path, Config{})

	connected := false
	err := client.GetContainerEvents(context.Background(), make(chan *runtimeapi.ContainerEventResponse),
		func(runtimeapi.RuntimeService_GetContainerEventsClient) { connected = true })
	if !errors.Is(err, ErrEventsUnsupported) || connected {
		t.Fatalf("containerd 1.6-like runtime: err %v, connected %v; want ErrEventsUnsupported and no connection callback", err, connected)
	}
}

func TestGetContainerEventsReportsConnectedWhileStreamStaysOpen(t *testing.T) {
	path := socketIn(t, "quiet.sock")
	fake := newFakeRuntime()
	fake.hang = true // open, no events
	serve(t, path, fake)
	client := dial(t, path, Config{})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connected := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- client.GetContainerEvents(ctx, make(chan *runtimeapi.ContainerEventResponse),
			func(runtimeapi.RuntimeService_GetContainerEventsClient) { close(connected) })
	}()
	select {
	case <-connected:
	case err := <-done:
		t.Fatalf("quiet stream ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("a stream that stays open was never reported connected")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after cancel: %v, want nil", err)
	}
}

func TestGetContainerEventsDoesNotBlockOnFullChannelAfterCancel(t *testing.T) {
	path := socketIn(t, "full.sock")
	fake := newFakeRuntime()
	fake.hang = true
	fake.events = []*runtimeapi.ContainerEventResponse{{ContainerId: "c1"}}
	serve(t, path, fake)
	client := dial(t, path, Config{})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.GetContainerEvents(ctx, make(chan *runtimeapi.ContainerEventResponse), nil) }()
	time.Sleep(100 * time.Millisecond) // let the event reach the unread channel
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("GetContainerEvents after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("GetContainerEvents stayed blocked on an unread channel after cancel")
	}
}
