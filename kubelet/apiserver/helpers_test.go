package apiserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

const testNode = "node-a"

// dirSource stands in for the manifest source and sync loop: it decodes
// the manifest directory on every call, so writes through the API show up
// as they would in the agent, and it lets tests set pod status.
type dirSource struct {
	dir string

	mu       sync.Mutex
	status   map[string]v1.PodStatus // by pod name
	gone     map[string]bool         // names shown as terminating after their file is gone
	changed  chan struct{}
	versions map[string]int
	events   map[string][]kubelet.Event // by pod name
}

func newDirSource(t *testing.T) *dirSource { return newDirSourceIn(t.TempDir()) }

func newDirSourceIn(dir string) *dirSource {
	return &dirSource{dir: dir, status: map[string]v1.PodStatus{}, gone: map[string]bool{}, changed: make(chan struct{}), versions: map[string]int{}, events: map[string][]kubelet.Event{}}
}

func (d *dirSource) Pods() []kubelet.PodView {
	d.mu.Lock()
	defer d.mu.Unlock()
	entries, _ := os.ReadDir(d.dir)
	var views []kubelet.PodView
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(d.dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		pods, ferr := staticpods.DecodeManifest(path, data, testNode)
		if ferr != nil {
			for _, name := range ferr.Pods {
				pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name.Name, Namespace: name.Namespace}}
				pod.Status.Phase, pod.Status.Reason = v1.PodPending, kubelet.ReasonManifestError
				views = append(views, kubelet.PodView{Pod: pod, File: path, ManifestErrors: ferr.Messages})
			}
			continue
		}
		for _, pod := range pods {
			if s, ok := d.status[pod.Name]; ok {
				pod.Status = s
			}
			pod.ResourceVersion = strconv.Itoa(d.versions[pod.Name])
			views = append(views, kubelet.PodView{Pod: pod, File: path, Events: append([]kubelet.Event(nil), d.events[pod.Name]...)})
		}
	}
	for name := range d.gone {
		pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: "gone-uid"}}
		views = append(views, kubelet.PodView{Pod: pod, Terminating: true})
	}
	sort.Slice(views, func(i, j int) bool { return views[i].Pod.Name < views[j].Pod.Name })
	return views
}

// SetDeletionGracePeriod is ignored here; graceRecorder records it.
func (d *dirSource) SetDeletionGracePeriod(types.UID, int64) {}

func (d *dirSource) Changed() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

// notify wakes watchers, as the sync loop does after any change.
func (d *dirSource) notify() {
	d.mu.Lock()
	defer d.mu.Unlock()
	close(d.changed)
	d.changed = make(chan struct{})
}

func (d *dirSource) setStatus(name string, s v1.PodStatus) {
	d.mu.Lock()
	d.status[name] = s
	d.versions[name]++
	d.mu.Unlock()
	d.notify()
}

// addEvent records an event on a pod, as the sync loop does.
func (d *dirSource) addEvent(name string, e kubelet.Event) {
	d.mu.Lock()
	d.events[name] = append(d.events[name], e)
	d.versions[name]++
	d.mu.Unlock()
	d.notify()
}

func (d *dirSource) write(t *testing.T, file, content string) string {
	t.Helper()
	path := filepath.Join(d.dir, file)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	d.notify()
	return path
}

func podYAML(name string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  labels:\n    app: " + name +
		"\nspec:\n  containers:\n  - name: app\n    image: example.com/app:1\n"
}

// newTestServer serves the API over a dirSource at a fixed clock.
func newTestServer(t *testing.T) (*dirSource, *httptest.Server, *Server) {
	t.Helper()
	src := newDirSource(t)
	s, err := New(Config{
		Pods: src, ManifestDir: src.dir, NodeName: testNode, CreateWait: 200 * time.Millisecond,
		Now: func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return src, srv, s
}

// do sends a request and returns the status code and body.
func do(t *testing.T, method, url, contentType, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decoding %T from %s: %v", v, body, err)
	}
	return v
}

func newServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
