package cri

import (
	"context"
	"runtime"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	path := socketIn(t, "leak.sock")
	fake := newFakeRuntime()
	fake.hang = true
	serve(t, path, fake)
	before := runtime.NumGoroutine()

	client, err := Dial(context.Background(), Config{Endpoint: path})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	streamDone := make(chan error, 1)
	go func() {
		streamDone <- client.GetContainerEvents(ctx, make(chan *runtimeapi.ContainerEventResponse), nil)
	}()
	if _, err := client.ListPodSandbox(context.Background(), nil); err == nil {
		t.Fatal("the fake should not implement ListPodSandbox")
	}
	cancel()
	<-streamDone
	if err := client.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// gRPC winds its goroutines down asynchronously after Close.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before Dial, %d after Close:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
