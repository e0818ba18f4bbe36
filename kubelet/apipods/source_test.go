package apipods

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/minikubelet/minikubelet/kubelet"
)

// fakeLister answers lists in turn and hands out one fake watch per call.
type fakeLister struct {
	mu       sync.Mutex
	lists    []*v1.PodList
	listed   int
	watchRVs []string
	watches  chan *watch.FakeWatcher
}

func (f *fakeLister) ListOnNode(context.Context, string) (*v1.PodList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.lists[min(f.listed, len(f.lists)-1)]
	f.listed++
	return l.DeepCopy(), nil
}

func (f *fakeLister) WatchOnNode(_ context.Context, _, rv string) (watch.Interface, error) {
	f.mu.Lock()
	f.watchRVs = append(f.watchRVs, rv)
	f.mu.Unlock()
	w := watch.NewFake()
	f.watches <- w
	return w, nil
}

func podList(rv string, pods ...*v1.Pod) *v1.PodList {
	l := &v1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: rv}}
	for _, p := range pods {
		l.Items = append(l.Items, *p)
	}
	return l
}

func TestSourceListsWatchesAndRelistsOnGone(t *testing.T) {
	web, db := apiPod("web", nil), apiPod("db", nil)
	f := &fakeLister{lists: []*v1.PodList{podList("10", web), podList("20", db)}, watches: make(chan *watch.FakeWatcher, 4)}
	updates := make(chan []string, 10)
	graces := make(chan int64, 10)
	s := NewSource(SourceConfig{
		NodeName: "n1",
		Client:   func(context.Context) (Lister, error) { return f, nil },
		SetGrace: func(uid types.UID, seconds int64) { graces <- seconds },
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = s.Run(ctx, func(u kubelet.SourceUpdate) {
			if u.Source != kubelet.SourceAPI {
				t.Errorf("source %q", u.Source)
			}
			var names []string
			for _, p := range u.Pods {
				names = append(names, p.Pod.Name)
			}
			updates <- names
		})
	}()
	next := func(want ...string) {
		t.Helper()
		select {
		case got := <-updates:
			if len(got) != len(want) {
				t.Fatalf("delivered %v, want %v", got, want)
			}
			seen := map[string]bool{}
			for _, n := range got {
				seen[n] = true
			}
			for _, n := range want {
				if !seen[n] {
					t.Fatalf("delivered %v, want %v", got, want)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("nothing delivered, want %v", want)
		}
	}
	next("web")
	w := <-f.watches
	w.Add(db)
	next("web", "db")
	deleting := web.DeepCopy()
	now, grace := metav1.Now(), int64(3)
	deleting.DeletionTimestamp, deleting.DeletionGracePeriodSeconds = &now, &grace
	w.Modify(deleting)
	if g := <-graces; g != 3 {
		t.Errorf("grace %d, want 3", g)
	}
	next("db")
	if got := len(s.Pods()); got != 2 {
		t.Errorf("the API view holds %d pods, want both (web is still being deleted)", got)
	}
	// The history is gone: a new list, then a watch from it.
	w.Error(&metav1.Status{Status: metav1.StatusFailure, Code: http.StatusGone, Reason: metav1.StatusReasonExpired})
	next("db")
	<-f.watches
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listed != 2 || len(f.watchRVs) != 2 || f.watchRVs[0] != "10" || f.watchRVs[1] != "20" {
		t.Errorf("lists %d, watches from %v: want 2 lists, watches from 10 then 20", f.listed, f.watchRVs)
	}
}

// A pod whose nodeSelector needs the Node is judged against the Node as
// the API server has it, read when needed: the registered labels while it
// does not exist, a label added since counts, and one the node does not
// have refuses the pod with NodeAffinity.
func TestSourceJudgesNodeSelectorsOnTheNodeRead(t *testing.T) {
	selecting := func(name, key, value string) *v1.Pod {
		return apiPod(name, func(p *v1.Pod) { p.Spec.NodeSelector = map[string]string{key: value} })
	}
	host, ssd, gpu := selecting("host", v1.LabelHostname, "n1"), selecting("ssd", "disk", "ssd"), selecting("gpu", "gpu", "yes")
	f := &fakeLister{lists: []*v1.PodList{podList("10", host)}, watches: make(chan *watch.FakeWatcher, 4)}
	var mu sync.Mutex
	var node *v1.Node // nil: NotFound
	reads := 0
	s := NewSource(SourceConfig{
		NodeName: "n1",
		Client:   func(context.Context) (Lister, error) { return f, nil },
		Node: func(context.Context) (*v1.Node, error) {
			mu.Lock()
			defer mu.Unlock()
			reads++
			if node == nil {
				return nil, apierrors.NewNotFound(v1.Resource("nodes"), "n1")
			}
			return node.DeepCopy(), nil
		},
		Labels: map[string]string{v1.LabelHostname: "n1"},
	})
	updates := make(chan []string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_ = s.Run(ctx, func(u kubelet.SourceUpdate) {
			var names []string
			for _, p := range u.Pods {
				names = append(names, p.Pod.Name)
			}
			updates <- names
		})
	}()
	next := func() []string {
		t.Helper()
		select {
		case got := <-updates:
			return got
		case <-time.After(5 * time.Second):
			t.Fatal("nothing delivered")
			return nil
		}
	}
	if got := next(); len(got) != 1 || got[0] != "host" {
		t.Fatalf("before the Node exists: delivered %v, want host (the registered hostname label)", got)
	}
	mu.Lock()
	node = &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{v1.LabelHostname: "n1", "disk": "ssd"}}}
	mu.Unlock()
	time.Sleep(nodeReadEvery) // the last read may be that recent
	w := <-f.watches
	w.Add(ssd)
	if got := next(); len(got) != 2 {
		t.Fatalf("after the operator's label: delivered %v, want host and ssd", got)
	}
	time.Sleep(nodeReadEvery)
	w.Add(gpu)
	if got := next(); len(got) != 2 {
		t.Fatalf("delivered %v, want host and ssd, not gpu", got)
	}
	if v := s.Refused()[gpu.UID]; v.Reason != ReasonNodeAffinity {
		t.Errorf("gpu's verdict %+v, want %s", v, ReasonNodeAffinity)
	}
	mu.Lock()
	defer mu.Unlock()
	if reads < 2 {
		t.Errorf("the Node was read %d times, want again before each verdict that needs it", reads)
	}
}
