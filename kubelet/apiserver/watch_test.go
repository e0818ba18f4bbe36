package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// watchEvents opens a watch and returns a function reading its next event.
func watchEvents(t *testing.T, url string, header ...string) func() (string, v1.Pod, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := make(chan []byte)
	go func() {
		scanner := bufio.NewScanner(resp.Body)
		for scanner.Scan() {
			lines <- append([]byte(nil), scanner.Bytes()...)
		}
		close(lines)
	}()
	return func() (string, v1.Pod, map[string]any) {
		t.Helper()
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("watch ended")
			}
			var ev struct {
				Type   string
				Object json.RawMessage
			}
			var pod v1.Pod
			var raw map[string]any
			if err := json.Unmarshal(line, &ev); err != nil {
				t.Fatalf("event %s: %v", line, err)
			}
			_ = json.Unmarshal(ev.Object, &pod)
			_ = json.Unmarshal(ev.Object, &raw)
			return ev.Type, pod, raw
		case <-time.After(5 * time.Second):
			t.Fatal("no watch event within 5s")
		}
		return "", v1.Pod{}, nil
	}
}

func TestWatchFromListVersionSendsOnlyChanges(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	_, body := do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods", "", "")
	rv := decode[v1.PodList](t, body).ResourceVersion
	next := watchEvents(t, srv.URL+"/api/v1/namespaces/default/pods?watch=true&resourceVersion="+rv)

	src.setStatus("web", v1.PodStatus{Phase: v1.PodRunning})
	if kind, pod, _ := next(); kind != "MODIFIED" || pod.Name != "web" || pod.Status.Phase != v1.PodRunning {
		t.Errorf("after status change: %s %s %s", kind, pod.Name, pod.Status.Phase)
	}
	src.write(t, "db.yaml", podYAML("db"))
	if kind, pod, _ := next(); kind != "ADDED" || pod.Name != "db" {
		t.Errorf("after new manifest: %s %s", kind, pod.Name)
	}
	os.Remove(filepath.Join(src.dir, "web.yaml"))
	src.notify()
	if kind, pod, _ := next(); kind != "DELETED" || pod.Name != "web" {
		t.Errorf("after removal: %s %s", kind, pod.Name)
	}
}

func TestWatchWithoutVersionStartsWithCurrentPods(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.write(t, "db.yaml", podYAML("db"))
	next := watchEvents(t, srv.URL+"/api/v1/pods?watch=1&fieldSelector=metadata.name%3Dweb")
	if kind, pod, _ := next(); kind != "ADDED" || pod.Name != "web" {
		t.Errorf("first event: %s %s", kind, pod.Name)
	}
	src.setStatus("db", v1.PodStatus{Phase: v1.PodRunning}) // filtered out
	src.setStatus("web", v1.PodStatus{Phase: v1.PodRunning})
	if kind, pod, _ := next(); kind != "MODIFIED" || pod.Name != "web" {
		t.Errorf("second event: %s %s", kind, pod.Name)
	}
}

func TestWatchListEndsInitialEventsWithBookmark(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	next := watchEvents(t, srv.URL+"/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan")
	if kind, pod, _ := next(); kind != "ADDED" || pod.Name != "web" {
		t.Errorf("first event: %s %s", kind, pod.Name)
	}
	if kind, pod, _ := next(); kind != "BOOKMARK" || pod.Annotations[metav1.InitialEventsAnnotationKey] != "true" || pod.ResourceVersion == "" {
		t.Errorf("second event: %s %+v", kind, pod.ObjectMeta)
	}
}

func TestWatchServesTableRows(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	next := watchEvents(t, srv.URL+"/api/v1/namespaces/default/pods?watch=true", "Accept", tableAccept)
	kind, _, raw := next()
	rows, _ := raw["rows"].([]any)
	if kind != "ADDED" || raw["kind"] != "Table" || len(rows) != 1 {
		t.Errorf("table event: %s %v", kind, raw)
	}
}

func TestWatchFromExpiredVersionIsGone(t *testing.T) {
	_, srv, s := newTestServer(t)
	s.store.mu.Lock()
	s.store.oldest, s.store.version = 50, 60
	s.store.mu.Unlock()
	next := watchEvents(t, srv.URL+"/api/v1/pods?watch=true&resourceVersion=10")
	if kind, _, raw := next(); kind != "ERROR" || raw["code"] != float64(410) {
		t.Errorf("expired watch: %s %v", kind, raw)
	}
}
