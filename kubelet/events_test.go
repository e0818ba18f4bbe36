package kubelet

import (
	"context"
	"log/slog"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// eventedRuntime is the fake runtime plus an event stream the test feeds.
type eventedRuntime struct {
	*fakeRuntime
	feed chan *runtimeapi.ContainerEventResponse
}

func (e *eventedRuntime) GetContainerEvents(ctx context.Context, ch chan *runtimeapi.ContainerEventResponse, connected func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	connected(nil)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-e.feed:
			ch <- ev
		}
	}
}

func TestContainerEventWakesPodWithoutWaitingForRelist(t *testing.T) {
	rt := &eventedRuntime{fakeRuntime: newFakeRuntime(), feed: make(chan *runtimeapi.ContainerEventResponse)}
	dir := t.TempDir()
	k, err := New(Config{Runtime: rt, Images: rt, NodeName: "n1", RootDir: dir, PodLogDir: dir, ResolvConf: dir + "/none",
		RelistPeriod: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = k.Run(ctx) }()
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetDesired([]DesiredPod{{Pod: pod}}, nil)
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	rt.exit("a", 1)
	labels := map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: "n1", PodUIDLabel: string(pod.UID)}
	rt.feed <- &runtimeapi.ContainerEventResponse{ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
		PodSandboxStatus: &runtimeapi.PodSandboxStatus{Labels: labels}, CreatedAt: time.Now().UnixNano()}
	eventually(t, "restarted on the event, with relisting every hour", func() bool {
		_, p := viewPhase(k, "web")
		return p.Status.ContainerStatuses[0].RestartCount == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})

	// An event for another node's pod is ignored.
	other := map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: "n2", PodUIDLabel: "someone-else"}
	rt.feed <- &runtimeapi.ContainerEventResponse{PodSandboxStatus: &runtimeapi.PodSandboxStatus{Labels: other}}
	k.mu.Lock()
	_, tracked := k.pods["someone-else"]
	k.mu.Unlock()
	if tracked {
		t.Fatal("an event of another node's pod made this agent track it")
	}
}
