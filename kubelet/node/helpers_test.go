package node

import (
	"context"
	"strings"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi/kubeapitest"
)

// fakeHost returns the observations a test sets.
type fakeHost struct {
	mu  sync.Mutex
	obs Observations
}

func (h *fakeHost) Observe() Observations {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.obs
}

func (h *fakeHost) set(edit func(*Observations)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	edit(&h.obs)
}

// harness is a Keeper on a fake API server and a fake clock.
type harness struct {
	k      *Keeper
	client *fake.Clientset
	clock  *testingclock.FakeClock
	host   *fakeHost

	mu    sync.Mutex
	ready Readiness

	failMu sync.Mutex
}

func newHarness(t *testing.T, objects ...runtime.Object) *harness {
	t.Helper()
	h := &harness{
		client: fake.NewClientset(objects...),
		clock:  testingclock.NewFakeClock(now0.Time),
		host:   &fakeHost{obs: testObs},
	}
	k, err := New(Config{
		Nodes: kubeapitest.Nodes(h.client), Leases: kubeapitest.Leases(h.client), Spec: testSpec, Host: h.host, Clock: h.clock,
		Ready: func(context.Context) Readiness {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.ready
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.k = k
	// The API server gives every object a uid; the fake does not.
	h.client.PrependReactor("create", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		node := a.(k8stesting.CreateAction).GetObject().(*v1.Node)
		node.UID = types.UID("uid-" + node.Name)
		return false, nil, nil
	})
	return h
}

func (h *harness) setReady(r Readiness) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ready = r
}

// node reads the Node from the fake API server.
func (h *harness) node(t *testing.T) *v1.Node {
	t.Helper()
	n, err := h.client.CoreV1().Nodes().Get(context.Background(), testSpec.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// verbs lists the API calls made since the last call, as "verb resource[/sub]".
func (h *harness) verbs() []string {
	var out []string
	for _, a := range h.client.Actions() {
		s := a.GetVerb() + " " + a.GetResource().Resource
		if sub := a.GetSubresource(); sub != "" {
			s += "/" + sub
		}
		out = append(out, s)
	}
	h.client.ClearActions()
	return out
}

// failNext makes the next n calls of verb on resource fail with err.
func (h *harness) failNext(verb, resource string, n int, err error) {
	h.client.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) {
		h.failMu.Lock()
		defer h.failMu.Unlock()
		if n == 0 {
			return false, nil, nil
		}
		n--
		return true, nil, err
	})
}

func resourcePods(n int64) *resource.Quantity { return resource.NewQuantity(n, resource.DecimalSI) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
