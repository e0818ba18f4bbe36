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

func TestGetContainerEventsReportsStreamClosedByRuntime(t *testing.T) {
	path := socketIn(t, "closing.sock")
	serve(t, path, newFakeRuntime()) // sends no events and ends the stream
	client := dial(t, path, Config{})

	err := client.GetContainerEvents(context.Background(), make(chan *runtimeapi.ContainerEventResponse), nil)
	if err == nil || !strings.Contains(err.Error(), "closed the stream") {
		t.Fatalf("GetContainerEvents on a closed stream = %v, want an error saying so", err)
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
