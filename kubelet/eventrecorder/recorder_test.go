package eventrecorder

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// fakeSink records the calls and answers with fail's error, if any.
type fakeSink struct {
	mu      sync.Mutex
	created []*v1.Event
	patched []string // namespace/name: patch
	fail    func() error
	events  map[string]*v1.Event
}

func (f *fakeSink) Create(_ context.Context, e *v1.Event) (*v1.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(); err != nil {
			return nil, err
		}
	}
	c := e.DeepCopy()
	c.ResourceVersion = "1"
	f.created = append(f.created, c)
	if f.events == nil {
		f.events = map[string]*v1.Event{}
	}
	f.events[c.Name] = c
	return c, nil
}

func (f *fakeSink) Patch(_ context.Context, namespace, name string, patch []byte) (*v1.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patched = append(f.patched, namespace+"/"+name+": "+string(patch))
	e, ok := f.events[name]
	if !ok {
		return nil, apierrors.NewNotFound(v1.Resource("events"), name)
	}
	c := e.DeepCopy()
	c.Count++
	f.events[name] = c
	return c, nil
}

func (f *fakeSink) calls() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.created), append([]string(nil), f.patched...)
}

func webPod() *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "u1"},
		Spec: v1.PodSpec{
			InitContainers: []v1.Container{{Name: "init"}},
			Containers:     []v1.Container{{Name: "kubia"}},
		},
	}
}

// run runs r on sink until the test ends, and checks that it stops then.
func run(t *testing.T, r *Recorder, sink Sink) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop with its context")
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPodEventsAreTheKubeletsEvents(t *testing.T) {
	sink := &fakeSink{}
	r := New(Config{NodeName: "n1"})
	run(t, r, sink)
	at := time.Unix(1000, 0)
	r.Pod(PodEvent{Pod: webPod(), Container: "kubia", Type: v1.EventTypeNormal, Reason: "Pulled", Message: "pulled", Time: at})
	r.Pod(PodEvent{Pod: webPod(), Container: "init", Type: v1.EventTypeNormal, Reason: "Started", Message: "Started container init", Time: at})
	waitFor(t, "two events created", func() bool { n, _ := sink.calls(); return n == 2 })
	e := sink.created[0]
	want := v1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: "shop", Name: "web", UID: "u1", FieldPath: "spec.containers{kubia}"}
	if e.InvolvedObject != want {
		t.Errorf("involvedObject %+v, want %+v", e.InvolvedObject, want)
	}
	if e.Namespace != "shop" || !strings.HasPrefix(e.Name, "web.") || e.Reason != "Pulled" || e.Message != "pulled" || e.Type != v1.EventTypeNormal ||
		e.Count != 1 || !e.FirstTimestamp.Time.Equal(at) || !e.LastTimestamp.Time.Equal(at) {
		t.Errorf("event %+v: want web.<time> in shop, Pulled, counted once at %v", e, at)
	}
	if e.Source != (v1.EventSource{Component: "kubelet", Host: "n1"}) || e.ReportingController != "kubelet" || e.ReportingInstance != "n1" {
		t.Errorf("source %+v, reporting %s/%s: want kubelet on n1", e.Source, e.ReportingController, e.ReportingInstance)
	}
	if fp := sink.created[1].InvolvedObject.FieldPath; fp != "spec.initContainers{init}" {
		t.Errorf("init container's fieldPath %q", fp)
	}
}

// A repeat is one Event whose count and lastTimestamp are patched, as
// client-go's correlator does; an Event deleted meanwhile is made again.
func TestRepeatsArePatchedOntoTheFirstEvent(t *testing.T) {
	sink := &fakeSink{}
	r := New(Config{NodeName: "n1"})
	run(t, r, sink)
	backOff := func(at int64) {
		r.Pod(PodEvent{Pod: webPod(), Container: "kubia", Type: v1.EventTypeWarning, Reason: "BackOff",
			Message: "Back-off restarting failed container", Time: time.Unix(at, 0)})
	}
	backOff(1000)
	backOff(1010)
	waitFor(t, "a patch", func() bool { _, p := sink.calls(); return len(p) == 1 })
	created, patched := sink.calls()
	if created != 1 || !strings.Contains(patched[0], `"count":2`) || !strings.HasPrefix(patched[0], "shop/"+sink.created[0].Name+": ") {
		t.Errorf("%d created, patches %q: want one event, then a patch of its count to 2", created, patched)
	}
	sink.mu.Lock()
	sink.events = nil // deleted (events expire)
	sink.mu.Unlock()
	backOff(1020)
	waitFor(t, "the event made again", func() bool { n, _ := sink.calls(); return n == 2 })
}

func TestStaticPodEventsGoToTheMirrorPod(t *testing.T) {
	sink := &fakeSink{}
	mirrors := map[string]types.UID{"h1": "m1"}
	r := New(Config{NodeName: "n1", Mirror: func(hash string) (types.UID, bool) { m, ok := mirrors[hash]; return m, ok }})
	run(t, r, sink)
	r.Pod(PodEvent{Pod: webPod(), Static: true, MirrorName: "web-n1", MirrorHash: "h1", Type: v1.EventTypeNormal, Reason: "Started", Time: time.Unix(1, 0)})
	waitFor(t, "the event", func() bool { n, _ := sink.calls(); return n == 1 })
	if ref := sink.created[0].InvolvedObject; ref.Name != "web-n1" || ref.UID != "m1" || !strings.HasPrefix(sink.created[0].Name, "web-n1.") {
		t.Errorf("involvedObject %+v: want the mirror pod web-n1, m1", ref)
	}
}

func TestNodeEvents(t *testing.T) {
	sink := &fakeSink{}
	r := New(Config{NodeName: "n1"})
	run(t, r, sink)
	r.Node(v1.EventTypeNormal, "NodeReady", "Node n1 status is now: NodeReady")
	waitFor(t, "the event", func() bool { n, _ := sink.calls(); return n == 1 })
	if e := sink.created[0]; e.Namespace != "default" || e.InvolvedObject != (v1.ObjectReference{Kind: "Node", Name: "n1", UID: "n1"}) {
		t.Errorf("node event %+v: want one about Node n1 in default", e)
	}
}

// Recording never waits for the API server: a full queue drops and counts.
func TestAFullQueueDropsAndCounts(t *testing.T) {
	r := New(Config{NodeName: "n1", QueueSize: 2})
	done := make(chan struct{})
	go func() {
		for i := range 5 {
			r.Pod(PodEvent{Pod: webPod(), Type: v1.EventTypeNormal, Reason: "Pulled", Message: string(rune('a' + i))})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("recording blocked on a full queue")
	}
	if n := r.Dropped(); n != 3 {
		t.Errorf("dropped %d, want 3", n)
	}
}

// An API server that does not answer is tried again; one that refuses
// the event is not.
func TestUnansweredCallsAreRetried(t *testing.T) {
	var mu sync.Mutex
	failures := 1
	sink := &fakeSink{fail: func() error {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return errors.New("connection refused")
		}
		return nil
	}}
	r := New(Config{NodeName: "n1"})
	run(t, r, sink)
	r.Pod(PodEvent{Pod: webPod(), Type: v1.EventTypeNormal, Reason: "Pulled", Time: time.Unix(1, 0)})
	waitFor(t, "the event after a retry", func() bool { n, _ := sink.calls(); return n == 1 })

	if retriable(apierrors.NewForbidden(v1.Resource("events"), "x", errors.New("no"))) {
		t.Error("a Forbidden event is retried")
	}
	if !retriable(apierrors.NewServiceUnavailable("busy")) {
		t.Error("503 is not retried")
	}
}
