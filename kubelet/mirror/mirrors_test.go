package mirror

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
	"github.com/minikubelet/minikubelet/test/testutil"
)

// fakeStatic is the agent's static pods.
type fakeStatic struct {
	mu      sync.Mutex
	pods    []*v1.Pod
	ok      bool
	changed chan struct{}
}

func (f *fakeStatic) StaticPods() ([]*v1.Pod, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pods, f.ok
}

func (f *fakeStatic) Changed() <-chan struct{} { return f.changed }

func newMirrors(t *testing.T, c *fake.Clientset, static *fakeStatic, log *bytes.Buffer) *Mirrors {
	t.Helper()
	return New(Config{NodeName: "w1", NodeIP: "10.0.0.5", Pods: kubeapitest.Pods(c), Nodes: kubeapitest.Nodes(c), Static: static,
		Logger: slog.New(slog.NewTextHandler(log, nil)), Now: func() time.Time { return now }})
}

// writes are the create and delete calls the clientset saw.
func writes(c *fake.Clientset) []string {
	var out []string
	for _, a := range c.Actions() {
		if a.GetVerb() == "create" || a.GetVerb() == "delete" {
			out = append(out, a.GetVerb())
		}
	}
	return out
}

// A restarted agent adopts the mirror pods it made before: no pod is
// deleted or created again. Until the manifests are read, nothing is
// touched, since no static pods would mean "delete every mirror".
func TestSyncCreatesThenAdopts(t *testing.T) {
	c := fake.NewClientset(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1", UID: "node-uid"}})
	static := &fakeStatic{pods: []*v1.Pod{staticPod("web", "h1")}, ok: true}
	var log bytes.Buffer
	ctx := context.Background()
	if err := newMirrors(t, c, static, &log).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	m, err := c.CoreV1().Pods("default").Get(ctx, "web-w1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.OwnerReferences[0].UID != "node-uid" || m.Status.Phase != v1.PodRunning || m.Status.PodIP != "10.86.0.9" || m.Status.HostIP != "10.0.0.5" {
		t.Errorf("mirror owners %+v status %+v", m.OwnerReferences, m.Status)
	}
	if got := writes(c); len(got) != 1 {
		t.Fatalf("writes %v, want one create", got)
	}

	c.ClearActions()
	if err := newMirrors(t, c, &fakeStatic{ok: false}, &log).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := newMirrors(t, c, static, &log).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := writes(c); len(got) != 0 {
		t.Errorf("restart: writes %v, want none", got)
	}
	if _, err := c.CoreV1().Pods("default").Get(ctx, "web-w1", metav1.GetOptions{}); err != nil {
		t.Errorf("mirror after restart: %v", err)
	}
}

// With the API server away, Run keeps retrying, logs the failure once, and
// stops cleanly with its context.
func TestRunSurvivesAnAPIServerAway(t *testing.T) {
	c := fake.NewClientset()
	c.PrependReactor("*", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	c.PrependWatchReactor("*", func(k8stesting.Action) (bool, watch.Interface, error) {
		return true, nil, errors.New("connection refused")
	})
	var log testutil.SyncBuffer
	static := &fakeStatic{pods: []*v1.Pod{staticPod("web", "h1")}, ok: true, changed: make(chan struct{})}
	m := New(Config{NodeName: "w1", Pods: kubeapitest.Pods(c), Nodes: kubeapitest.Nodes(c), Static: static,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil when its context ends", err)
	}
	out := log.String()
	if n := strings.Count(out, "syncing mirror pods failed"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, out)
	}
	if n := countReads(c); n < 2 {
		t.Errorf("%d attempts in 3.5s, want retries", n)
	}
}

func countReads(c *fake.Clientset) int {
	n := 0
	for _, a := range c.Actions() {
		if a.GetVerb() == "get" {
			n++
		}
	}
	return n
}

// A mirror pod the API server refuses (NodeRestriction refuses a static
// pod naming a secret) leaves the others in sync, and is logged once
// while it keeps failing alike.
func TestARefusedMirrorPodHoldsUpNoOther(t *testing.T) {
	c := fake.NewClientset(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1", UID: "node-uid"}})
	c.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.CreateAction).GetObject().(*v1.Pod).Name == "bad-w1" {
			return true, nil, apierrors.NewForbidden(v1.Resource("pods"), "bad-w1", errors.New("node can not create pods that reference secrets"))
		}
		return false, nil, nil
	})
	static := &fakeStatic{pods: []*v1.Pod{staticPod("bad", "h0"), staticPod("web", "h1")}, ok: true}
	var log bytes.Buffer
	m := newMirrors(t, c, static, &log)
	ctx := context.Background()
	for range 2 {
		if err := m.Sync(ctx); err != nil {
			t.Fatalf("Sync = %v; a refused pod is not a failed round", err)
		}
	}
	if _, err := c.CoreV1().Pods("default").Get(ctx, "web-w1", metav1.GetOptions{}); err != nil {
		t.Errorf("the other mirror pod: %v", err)
	}
	if n := strings.Count(log.String(), "mirror pod not in sync"); n != 1 || !strings.Contains(log.String(), "reference secrets") {
		t.Errorf("logged the refusal %d times, want once with the reason:\n%s", n, log.String())
	}
}
