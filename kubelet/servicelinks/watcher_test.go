package servicelinks

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

type fakeServices struct {
	list    *v1.ServiceList
	listErr error
}

func (f fakeServices) List(context.Context) (*v1.ServiceList, error) { return f.list, f.listErr }
func (f fakeServices) Watch(context.Context, metav1.ListOptions) (watch.Interface, error) {
	return watch.NewFake(), nil
}

func run(t *testing.T, client fakeServices) *Watcher {
	t.Helper()
	w := New(func(context.Context) (kubeapi.Services, error) { return client, nil })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, slog.New(slog.DiscardHandler)); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// Until the Services were listed, an API pod's container waits, told why
// the list fails (a node without RBAC for Services, say); a static pod
// does not wait.
func TestForPodSaysWhyServicesAreNotReadYet(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "", errors.New("no RBAC"))
	w := run(t, fakeServices{listErr: forbidden})
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := w.ForPod("app", nil, false)
		if err != nil && strings.Contains(err.Error(), "forbidden") && errors.Is(err, ErrNotSynced) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("err = %v, want ErrNotSynced with the list's reason", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := w.ForPod("app", nil, true); err != nil {
		t.Errorf("a static pod waits for the Services: %v", err)
	}
}

// The store keeps only what the variables need of each Service.
func TestWatcherKeepsOnlyWhatTheVariablesNeed(t *testing.T) {
	big := strings.Repeat("x", 256<<10)
	svc := v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "web", Annotations: map[string]string{"last-applied": big}},
		Spec:       v1.ServiceSpec{ClusterIP: "10.0.0.9", Ports: []v1.ServicePort{{Port: 80}}, Selector: map[string]string{"a": "b"}},
	}
	w := run(t, fakeServices{list: &v1.ServiceList{Items: []v1.Service{svc}}})
	var got []*v1.Service
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		if got, err = w.ForPod("app", nil, false); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never synced: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(got) != 1 || got[0].Spec.ClusterIP != "10.0.0.9" || got[0].Annotations != nil || got[0].Spec.Selector != nil {
		t.Fatalf("kept %+v", got)
	}
}

// A pod sees its namespace's Services and the API server's own, read by
// the namespace index, and none of another namespace.
func TestForPodReadsTheNamespaceAndTheAPIServersService(t *testing.T) {
	svc := func(ns, name string) v1.Service {
		return v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1.ServiceSpec{ClusterIP: "10.0.0.9", Ports: []v1.ServicePort{{Port: 80}}}}
	}
	w := run(t, fakeServices{list: &v1.ServiceList{Items: []v1.Service{svc("default", "kubernetes"), svc("app", "web"), svc("other", "db")}}})
	var got []*v1.Service
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		if got, err = w.ForPod("app", nil, false); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never synced: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Namespace+"/"+s.Name)
	}
	if strings.Join(names, " ") != "default/kubernetes app/web" {
		t.Errorf("services %v, want default/kubernetes and app/web", names)
	}
}
