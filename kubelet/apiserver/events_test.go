package apiserver

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/minikubelet/minikubelet/kubelet"
)

// movableClock is a test clock that tests move forward.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movableClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newEventServer(t *testing.T) (*dirSource, *httptest.Server, *movableClock) {
	t.Helper()
	src := newDirSource(t)
	clock := &movableClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	s, err := New(Config{Pods: src, ManifestDir: src.dir, NodeName: testNode, CreateWait: 200 * time.Millisecond, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return src, srv, clock
}

func event(reason string, at time.Time) kubelet.Event {
	return kubelet.Event{Time: at, Type: v1.EventTypeNormal, Reason: reason, Message: reason + " it", Container: "app"}
}

// nextEvent reads the next watch event as an Event.
func nextEvent(t *testing.T, next func() (string, v1.Pod, map[string]any)) (string, v1.Event) {
	t.Helper()
	kind, _, raw := next()
	data, _ := json.Marshal(raw)
	var ev v1.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return kind, ev
}

func TestEventsListAndWatchFromTheListsVersion(t *testing.T) {
	src, srv, clock := newEventServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.write(t, "db.yaml", podYAML("db"))
	src.addEvent("web", event("Pulled", clock.Now()))
	src.addEvent("web", event("Started", clock.Now().Add(time.Second)))

	_, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/events", "", "")
	list := decode[v1.EventList](t, body)
	if len(list.Items) != 2 || list.Items[0].Reason != "Pulled" || list.Items[1].Reason != "Started" || list.ResourceVersion == "" {
		t.Fatalf("event list = %s", body)
	}
	if list.Items[0].ResourceVersion == list.Items[1].ResourceVersion {
		t.Errorf("two events share resourceVersion %s", list.Items[0].ResourceVersion)
	}
	_, body = do(t, "GET", srv.URL+"/api/v1/namespaces/default/events/"+list.Items[1].Name, "", "")
	if one := decode[v1.Event](t, body); one.Reason != "Started" {
		t.Errorf("get of one event = %s", body)
	}

	next := watchEvents(t, srv.URL+"/api/v1/namespaces/default/events?watch=true&resourceVersion="+list.ResourceVersion+
		"&fieldSelector=involvedObject.name%3Dweb")
	src.addEvent("db", event("Pulled", clock.Now().Add(2*time.Second))) // filtered out
	src.addEvent("web", event("Killing", clock.Now().Add(3*time.Second)))
	if kind, ev := nextEvent(t, next); kind != "ADDED" || ev.Reason != "Killing" || ev.InvolvedObject.Name != "web" {
		t.Errorf("watch from the list's version: %s %s %s, want ADDED Killing of web", kind, ev.Reason, ev.InvolvedObject.Name)
	}
}

func TestEventsWatchWithoutVersionStartsWithTheCurrentOnesAsTableRows(t *testing.T) {
	src, srv, clock := newEventServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.addEvent("web", event("Pulled", clock.Now()))
	next := watchEvents(t, srv.URL+"/api/v1/events?watch=true", "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	kind, _, raw := next()
	data, _ := json.Marshal(raw)
	var table metav1.Table
	_ = json.Unmarshal(data, &table)
	if kind != "ADDED" || len(table.Rows) != 1 || table.Rows[0].Cells[2] != "Pulled" || table.Rows[0].Cells[3] != "pod/web" {
		t.Errorf("first watch event = %s %s", kind, data)
	}
}

func TestEventsOutliveTheirPodForTheTTL(t *testing.T) {
	src, srv, clock := newEventServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.addEvent("web", event("Killing", clock.Now()))
	_, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/events", "", "")
	rv := decode[v1.EventList](t, body).ResourceVersion

	os.Remove(filepath.Join(src.dir, "web.yaml"))
	src.notify()
	_, body = do(t, "GET", srv.URL+"/api/v1/namespaces/default/events", "", "")
	if list := decode[v1.EventList](t, body); len(list.Items) != 1 || list.Items[0].Reason != "Killing" {
		t.Fatalf("events once the pod is gone = %s, want its Killing event still listed", body)
	}
	next := watchEvents(t, srv.URL+"/api/v1/namespaces/default/events?watch=true&resourceVersion="+rv)
	clock.advance(eventTTL)
	src.notify()
	if kind, ev := nextEvent(t, next); kind != "DELETED" || ev.Reason != "Killing" {
		t.Errorf("after the TTL: %s %s, want DELETED Killing", kind, ev.Reason)
	}
	_, body = do(t, "GET", srv.URL+"/api/v1/namespaces/default/events", "", "")
	if list := decode[v1.EventList](t, body); len(list.Items) != 0 {
		t.Errorf("events after the TTL = %s", body)
	}
}

func TestEventsWatchFromAVersionTooOldIsGone(t *testing.T) {
	src, srv, clock := newEventServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	for i := 0; i < historySize+10; i++ {
		src.addEvent("web", event("Pulled", clock.Now().Add(time.Duration(i)*time.Second)))
	}
	// One list numbers them all, more than the history holds.
	do(t, "GET", srv.URL+"/api/v1/namespaces/default/events", "", "")
	next := watchEvents(t, srv.URL+"/api/v1/namespaces/default/events?watch=true&resourceVersion=2")
	if kind, _, raw := next(); kind != "ERROR" || raw["code"] != float64(410) {
		t.Errorf("watch from version 2 = %s %v, want ERROR 410", kind, raw)
	}
}

func TestFollowKeepsTheEventsOfAPodThatGoesBetweenRequests(t *testing.T) {
	src, srv, clock := newEventServer(t)
	s, err := New(Config{Pods: src, ManifestDir: src.dir, NodeName: testNode, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Follow(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	src.write(t, "web.yaml", podYAML("web"))
	before := s.store.current()
	src.addEvent("web", event("Killing", clock.Now()))
	deadline := time.Now().Add(5 * time.Second)
	for len(s.store.listEventsUnsynced()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.store.current() == before {
		t.Fatal("Follow did not pick up the event")
	}
	os.Remove(filepath.Join(src.dir, "web.yaml"))
	src.notify()
	_, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/events", "", "")
	if list := decode[v1.EventList](t, body); len(list.Items) != 1 || list.Items[0].Reason != "Killing" {
		t.Errorf("events after the pod went = %s, want its Killing event", body)
	}
}

// listEventsUnsynced returns the logged events without syncing first, to see
// what Follow did.
func (s *store) listEventsUnsynced() []*loggedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events.ordered)
}
