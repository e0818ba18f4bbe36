package kubelet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/translate"
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

// send feeds one event, failing the test if nothing subscribes.
func (e *eventedRuntime) send(t *testing.T, ev *runtimeapi.ContainerEventResponse) {
	t.Helper()
	select {
	case e.feed <- ev:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing subscribed to the runtime's event stream within 5s")
	}
}

func TestContainerEventWakesPodWithoutWaitingForRelist(t *testing.T) {
	rt := &eventedRuntime{fakeRuntime: newFakeRuntime(), feed: make(chan *runtimeapi.ContainerEventResponse)}
	k, pod := runOnePod(t, rt, rt)

	rt.exit("a", 1)
	labels := map[string]string{translate.ManagedByLabel: translate.ManagedByValue, translate.NodeLabel: "n1", translate.PodUIDLabel: string(pod.UID)}
	rt.send(t, &runtimeapi.ContainerEventResponse{ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
		PodSandboxStatus: &runtimeapi.PodSandboxStatus{Labels: labels}, CreatedAt: time.Now().UnixNano()})
	eventually(t, "restarted on the event, with relisting every hour", func() bool {
		_, p := viewPhase(k, "web")
		return p.Status.ContainerStatuses[0].RestartCount == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})

	// An event for another node's pod is ignored.
	other := map[string]string{translate.ManagedByLabel: translate.ManagedByValue, translate.NodeLabel: "n2", translate.PodUIDLabel: "someone-else"}
	rt.send(t, &runtimeapi.ContainerEventResponse{PodSandboxStatus: &runtimeapi.PodSandboxStatus{Labels: other}})
	k.mu.Lock()
	_, tracked := k.pods["someone-else"]
	k.mu.Unlock()
	if tracked {
		t.Fatal("an event of another node's pod made this agent track it")
	}
}

// closingRuntime closes its event stream once, after it worked, as CRI-O
// does when it stops; then it keeps the next stream open.
type closingRuntime struct {
	*fakeRuntime
	closed chan struct{}
}

func (c *closingRuntime) GetContainerEvents(ctx context.Context, _ chan *runtimeapi.ContainerEventResponse, connected func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	connected(nil)
	select {
	case <-c.closed:
		<-ctx.Done()
		return nil
	default:
	}
	time.Sleep(2 * streamSettled)
	close(c.closed)
	return fmt.Errorf("get container events: the runtime at unix:///crio.sock closed the stream: %w", cri.ErrEventStreamClosed)
}

// TestEventStreamClosedByTheRuntimeIsNoWarning: a runtime that stops
// closes its stream before its socket goes; that is part of the outage
// the CRI client reports once, so the agent says it at info level only
// (the chaos case "runtime stopped for 60 s" counts warnings).
func TestEventStreamClosedByTheRuntimeIsNoWarning(t *testing.T) {
	rt := &closingRuntime{fakeRuntime: newFakeRuntime(), closed: make(chan struct{})}
	logs := &bytes.Buffer{}
	var mu sync.Mutex
	dir := t.TempDir()
	k, err := New(Config{Runtime: rt, Images: rt, Events: rt, NodeName: "n1", RootDir: dir, PodLogDir: dir, ResolvConf: dir + "/none",
		RelistPeriod: time.Hour, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = k.Run(ctx) }()
	eventually(t, "the stream closed and reopened", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(logs.String(), "closed by the runtime")
	})
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("a stream the runtime closed was logged as a warning:\n%s", logs)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// runOnePod starts a Kubelet over rt as node n1, relisting only every
// hour, with events from events (nil for none), and returns it once its
// one pod runs.
func runOnePod(t *testing.T, rt interface {
	Runtime
	ImageService
}, events EventSource) (*Kubelet, *v1.Pod) {
	t.Helper()
	k := startKubeletWith(t, newFakeRuntime(), func(cfg *Config) {
		cfg.Runtime, cfg.Images, cfg.Events, cfg.NodeName, cfg.RelistPeriod = rt, rt, events, "n1", time.Hour
	})
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	return k, pod
}

// statusCounter counts ContainerStatus calls: one per container per
// observation of a pod.
type statusCounter struct {
	*eventedRuntime
	statuses atomic.Int32
}

func (s *statusCounter) ContainerStatus(ctx context.Context, id string, verbose bool) (*runtimeapi.ContainerStatusResponse, error) {
	s.statuses.Add(1)
	return s.eventedRuntime.ContainerStatus(ctx, id, verbose)
}

// TestEventOlderThanTheLastObservationWakesNoSync: an event the runtime
// stamped before the pod's last observation began is already in it, so it
// costs no sync (an observation is four CRI calls); a newer one does.
func TestEventOlderThanTheLastObservationWakesNoSync(t *testing.T) {
	rt := &statusCounter{eventedRuntime: &eventedRuntime{fakeRuntime: newFakeRuntime(), feed: make(chan *runtimeapi.ContainerEventResponse)}}
	k, pod := runOnePod(t, rt, rt)
	time.Sleep(2 * resyncAfterAction) // the re-read after acting is done
	before := rt.statuses.Load()

	labels := map[string]string{translate.ManagedByLabel: translate.ManagedByValue, translate.NodeLabel: "n1", translate.PodUIDLabel: string(pod.UID)}
	stale := time.Now().Add(-time.Hour).UnixNano()
	rt.send(t, &runtimeapi.ContainerEventResponse{ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT,
		PodSandboxStatus: &runtimeapi.PodSandboxStatus{Labels: labels}, CreatedAt: stale})
	time.Sleep(300 * time.Millisecond)
	if n := rt.statuses.Load() - before; n != 0 {
		t.Fatalf("an event stamped before the last observation cost %d container status reads; want none", n)
	}

	rt.exit("a", 1)
	rt.send(t, &runtimeapi.ContainerEventResponse{ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT,
		PodSandboxStatus: &runtimeapi.PodSandboxStatus{Labels: labels}, CreatedAt: time.Now().UnixNano()})
	eventually(t, "restarted on the new event", func() bool {
		_, p := viewPhase(k, "web")
		return p.Status.ContainerStatuses[0].RestartCount == 1
	})
}
