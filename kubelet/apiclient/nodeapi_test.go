package apiclient

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// agentNode is the node name the stand-in agent stamps on its pods.
const agentNode = "node-1"

// agentClock is the stand-in agent's fixed time, so ages print the same
// on every run.
var agentClock = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// standInAgent plays the agent's sync loop behind the real node API
// (apiserver.PodState): its pods are the manifests in a directory,
// decoded as the manifest source decodes them, with the statuses and
// events a test gives them.
type standInAgent struct {
	manifests string

	mu       sync.Mutex
	statuses map[string]v1.PodStatus // by pod name
	events   map[string][]kubelet.Event
	// problems are manifest errors: the pod runs its last good spec.
	problems map[string][]string
	versions map[string]int
	// stopping names pods that keep showing as terminating once their
	// manifest is gone, until released: a slow stop.
	stopping map[string]bool
	lastSeen map[string]kubelet.PodView
	changed  chan struct{}
}

var _ apiserver.PodState = (*standInAgent)(nil)

// Pods lists the manifests' pods, and the pods still stopping.
func (a *standInAgent) Pods() []kubelet.PodView {
	a.mu.Lock()
	defer a.mu.Unlock()
	files, _ := filepath.Glob(filepath.Join(a.manifests, "*.yaml"))
	var views []kubelet.PodView
	listed := map[string]bool{}
	for _, file := range files {
		data, _ := os.ReadFile(file)
		pods, _ := staticpods.DecodeManifest(file, data, agentNode)
		for _, pod := range pods {
			view := a.viewOf(pod, file)
			listed[pod.Name], a.lastSeen[pod.Name] = true, view
			views = append(views, view)
		}
	}
	for name := range a.stopping {
		if view, ok := a.lastSeen[name]; ok && !listed[name] {
			view.Terminating = true
			views = append(views, view)
		}
	}
	return views
}

// viewOf is the pod with what the test set for it. Callers hold a.mu.
func (a *standInAgent) viewOf(pod *v1.Pod, file string) kubelet.PodView {
	if status, ok := a.statuses[pod.Name]; ok {
		pod.Status = *status.DeepCopy()
	}
	// The store tells changes by the agent's own version of the pod.
	pod.ResourceVersion = strconv.Itoa(a.versions[pod.Name])
	problems := a.problems[pod.Name]
	return kubelet.PodView{Pod: pod, File: file, Events: a.events[pod.Name], ManifestErrors: problems, Stale: len(problems) > 0}
}

func (a *standInAgent) Changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

func (a *standInAgent) SetDeletionGracePeriod(types.UID, int64) {}

// notify wakes watchers, as the sync loop does after every change.
func (a *standInAgent) notify() {
	a.mu.Lock()
	defer a.mu.Unlock()
	close(a.changed)
	a.changed = make(chan struct{})
}

// change runs edit on the agent's state under its lock, then notifies.
func (a *standInAgent) change(edit func()) {
	a.mu.Lock()
	edit()
	a.mu.Unlock()
	a.notify()
}

func (a *standInAgent) setStatus(name string, status v1.PodStatus) {
	a.change(func() { a.statuses[name] = status; a.versions[name]++ })
}

func (a *standInAgent) addEvents(name string, events ...kubelet.Event) {
	a.change(func() { a.events[name] = append(a.events[name], events...) })
}

// breakManifest reports problems in the pod's manifest, which keeps its
// last good spec.
func (a *standInAgent) breakManifest(name string, problems ...string) {
	a.change(func() { a.problems[name] = problems })
}

// stopSlowly keeps the pod listed as terminating after its manifest goes,
// until finishStopping.
func (a *standInAgent) stopSlowly(name string) { a.change(func() { a.stopping[name] = true }) }

func (a *standInAgent) finishStopping(name string) { a.change(func() { delete(a.stopping, name) }) }

// writeManifest puts a manifest into the directory the agent reads.
func (a *standInAgent) writeManifest(t *testing.T, file, content string) string {
	t.Helper()
	path := filepath.Join(a.manifests, file)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	a.notify()
	return path
}

// startNodeAPI serves the real node API over a stand-in agent and returns
// the connection to it. The agent notices every write through the API at
// once, as the sync loop would on the manifest directory's events.
func startNodeAPI(t *testing.T) (*standInAgent, Connection) {
	t.Helper()
	return startNodeAPIWith(t, nil)
}

// startNodeAPIWith serves more routes beside the node API: those of the
// handlers it makes for the agent (exec and attach).
func startNodeAPIWith(t *testing.T, more func(*standInAgent) map[string]http.Handler) (*standInAgent, Connection) {
	t.Helper()
	return startNodeAPIConfigured(t, more, func(*apiserver.Config) {})
}

// startNodeAPIConfigured is startNodeAPIWith with the API's configuration
// set further by configure.
func startNodeAPIConfigured(t *testing.T, more func(*standInAgent) map[string]http.Handler, configure func(*apiserver.Config)) (*standInAgent, Connection) {
	t.Helper()
	agent := &standInAgent{
		manifests: t.TempDir(), statuses: map[string]v1.PodStatus{}, events: map[string][]kubelet.Event{},
		problems: map[string][]string{},
		versions: map[string]int{}, stopping: map[string]bool{}, lastSeen: map[string]kubelet.PodView{},
		changed: make(chan struct{}),
	}
	cfg := apiserver.Config{
		Pods: agent, ManifestDir: agent.manifests, NodeName: agentNode, Version: "test",
		CreateWait: time.Second, Now: func() time.Time { return agentClock },
	}
	configure(&cfg)
	api, err := apiserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler := api.Handler()
	if more != nil {
		mux := http.NewServeMux()
		for pattern, h := range api.Routes() {
			mux.Handle(pattern, h)
		}
		for pattern, h := range more(agent) {
			mux.Handle(pattern, h)
		}
		handler = mux
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
		if r.Method != http.MethodGet {
			agent.notify()
		}
	}))
	t.Cleanup(srv.Close)
	return agent, Connection{Server: srv.URL, Getenv: func(string) string { return "" }}
}

// podManifest is a one-container pod labelled app=NAME.
func podManifest(name, namespace string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + namespace +
		"\n  labels:\n    app: " + name + "\nspec:\n  containers:\n  - name: app\n    image: example.com/" + name + ":1\n" +
		"    ports:\n    - containerPort: 8080\n"
}

// running is the status of a pod whose one container runs and is ready.
func running(ip string, restarts int32) v1.PodStatus {
	return v1.PodStatus{
		Phase: v1.PodRunning, PodIP: ip,
		ContainerStatuses: []v1.ContainerStatus{{
			Name: "app", Ready: true, RestartCount: restarts, ContainerID: "containerd://abc123",
			State: v1.ContainerState{Running: &v1.ContainerStateRunning{}},
		}},
	}
}
