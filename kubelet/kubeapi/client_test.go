package kubeapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// request is what the fake API server saw.
type request struct {
	method, path, contentType, body string
}

// fakeAPIServer answers every request with the reply for its method and
// path, and records it.
func fakeAPIServer(t *testing.T, replies map[string]func() (int, any)) (*Client, *[]request) {
	t.Helper()
	var mu sync.Mutex
	var seen []request
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(body)})
		mu.Unlock()
		reply, ok := replies[r.Method+" "+r.URL.Path]
		if !ok {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		code, obj := reply()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(obj)
	}))
	t.Cleanup(server.Close)
	client, err := New(&rest.Config{Host: server.URL})
	if err != nil {
		t.Fatal(err)
	}
	return client, &seen
}

// The requests are the typed clients': paths, verbs, the strategic merge
// patch of nodes/status; answers decode into the objects.
func TestRequestsAreTheTypedClientsOnes(t *testing.T) {
	node := &v1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "w", UID: "u1"}}
	lease := &coordinationv1.Lease{TypeMeta: metav1.TypeMeta{Kind: "Lease", APIVersion: "coordination.k8s.io/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "kube-node-lease", ResourceVersion: "7"}}
	ok := func(obj any) func() (int, any) { return func() (int, any) { return http.StatusOK, obj } }
	client, seen := fakeAPIServer(t, map[string]func() (int, any){
		"POST /api/v1/nodes":           ok(node),
		"PATCH /api/v1/nodes/w/status": ok(node),
		"PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/w": ok(lease),
	})
	ctx := context.Background()
	created, err := client.Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w"}})
	if err != nil || created.UID != "u1" {
		t.Fatalf("Create = %v, %v", created, err)
	}
	if _, err := client.Nodes().PatchStatus(ctx, "w", []byte(`{"status":{}}`)); err != nil {
		t.Fatal(err)
	}
	updated, err := client.Leases().Update(ctx, lease)
	if err != nil || updated.ResourceVersion != "7" {
		t.Fatalf("Update = %v, %v", updated, err)
	}
	want := []request{
		{method: "POST", path: "/api/v1/nodes", contentType: "application/json"},
		{method: "PATCH", path: "/api/v1/nodes/w/status", contentType: "application/strategic-merge-patch+json", body: `{"status":{}}`},
		{method: "PUT", path: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/w", contentType: "application/json"},
	}
	for i, w := range want {
		got := (*seen)[i]
		if got.method != w.method || got.path != w.path || got.contentType != w.contentType || (w.body != "" && got.body != w.body) {
			t.Errorf("request %d = %+v, want %+v", i, got, w)
		}
	}
}

// An API error comes back as the API server's Status, so callers can tell
// a conflict or a missing object from a transport failure.
func TestAPIErrorsAreStatusErrors(t *testing.T) {
	conflict := apierrors.NewConflict(coordinationv1.Resource("leases"), "w", nil).ErrStatus
	notFound := apierrors.NewNotFound(v1.Resource("nodes"), "w").ErrStatus
	client, _ := fakeAPIServer(t, map[string]func() (int, any){
		"GET /api/v1/nodes/w": func() (int, any) { return http.StatusNotFound, &notFound },
		"PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/w": func() (int, any) { return http.StatusConflict, &conflict },
	})
	ctx := context.Background()
	if _, err := client.Nodes().Get(ctx, "w"); !apierrors.IsNotFound(err) {
		t.Errorf("Get of a missing node: %v, want NotFound", err)
	}
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "kube-node-lease"}}
	if _, err := client.Leases().Update(ctx, lease); !apierrors.IsConflict(err) {
		t.Errorf("Update of a changed lease: %v, want Conflict", err)
	}
}
