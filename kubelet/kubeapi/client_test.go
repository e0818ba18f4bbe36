package kubeapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// request is what the fake API server saw.
type request struct {
	method, path, contentType, body string
	query                           string
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
		seen = append(seen, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(body), r.URL.RawQuery})
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

// The pod verbs are the ones mirror pods need, sent as the typed client
// sends them: a list of this node's pods only (the Node authorizer refuses
// any other), a create in the pod's namespace, a delete now with the UID
// precondition, and a strategic merge patch of pods/status.
func TestPodRequests(t *testing.T) {
	pod := &v1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "web-w", Namespace: "default", UID: "m1"}}
	list := &v1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}, ListMeta: metav1.ListMeta{ResourceVersion: "42"}, Items: []v1.Pod{*pod}}
	ok := func(obj any) func() (int, any) { return func() (int, any) { return http.StatusOK, obj } }
	status := metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess}
	client, seen := fakeAPIServer(t, map[string]func() (int, any){
		"GET /api/v1/pods":                                   ok(list),
		"POST /api/v1/namespaces/default/pods":               ok(pod),
		"DELETE /api/v1/namespaces/default/pods/web-w":       ok(&status),
		"PATCH /api/v1/namespaces/default/pods/web-w/status": ok(pod),
	})
	ctx := context.Background()
	got, err := client.Pods().ListOnNode(ctx, "w")
	if err != nil || got.ResourceVersion != "42" || len(got.Items) != 1 || got.Items[0].UID != "m1" {
		t.Fatalf("ListOnNode = %+v, %v", got, err)
	}
	if created, err := client.Pods().Create(ctx, &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-w", Namespace: "default"}}); err != nil || created.UID != "m1" {
		t.Fatalf("Create = %v, %v", created, err)
	}
	if err := client.Pods().Delete(ctx, "default", "web-w", "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Pods().PatchStatus(ctx, "default", "web-w", []byte(`{"status":{}}`)); err != nil {
		t.Fatal(err)
	}
	want := []request{
		{method: "GET", path: "/api/v1/pods", query: "fieldSelector=spec.nodeName%3Dw"},
		{method: "POST", path: "/api/v1/namespaces/default/pods", contentType: "application/json"},
		{method: "DELETE", path: "/api/v1/namespaces/default/pods/web-w", contentType: "application/json"},
		{method: "PATCH", path: "/api/v1/namespaces/default/pods/web-w/status", contentType: "application/strategic-merge-patch+json", body: `{"status":{}}`},
	}
	for i, w := range want {
		got := (*seen)[i]
		if got.method != w.method || got.path != w.path || got.contentType != w.contentType || got.query != w.query || (w.body != "" && got.body != w.body) {
			t.Errorf("request %d = %+v, want %+v", i, got, w)
		}
	}
	var opts metav1.DeleteOptions
	if err := json.Unmarshal([]byte((*seen)[2].body), &opts); err != nil {
		t.Fatal(err)
	}
	if opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds != 0 || opts.Preconditions == nil || opts.Preconditions.UID == nil || *opts.Preconditions.UID != "m1" {
		t.Errorf("delete options %s: want grace 0 and the UID precondition m1", (*seen)[2].body)
	}
}

// A watch of this node's pods asks for its resourceVersion and decodes the
// stream's events into Pods.
func TestPodWatch(t *testing.T) {
	var query string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-w","uid":"m1"}}}`+"\n")
	}))
	t.Cleanup(server.Close)
	client, err := New(&rest.Config{Host: server.URL})
	if err != nil {
		t.Fatal(err)
	}
	w, err := client.Pods().WatchOnNode(context.Background(), "w", "42")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ev := <-w.ResultChan()
	if pod, ok := ev.Object.(*v1.Pod); ev.Type != "MODIFIED" || !ok || pod.UID != "m1" {
		t.Errorf("event %s %#v, want MODIFIED of pod m1", ev.Type, ev.Object)
	}
	for _, want := range []string{"watch=true", "resourceVersion=42", "fieldSelector=spec.nodeName%3Dw"} {
		if !strings.Contains(query, want) {
			t.Errorf("watch query %q lacks %s", query, want)
		}
	}
}

// What pods refer to is read in the pod's namespace, and a token is asked
// of the service account's token subresource with the request's fields.
func TestPodObjectRequests(t *testing.T) {
	ok := func(obj any) func() (int, any) { return func() (int, any) { return http.StatusOK, obj } }
	token := &authenticationv1.TokenRequest{TypeMeta: metav1.TypeMeta{Kind: "TokenRequest", APIVersion: "authentication.k8s.io/v1"},
		Status: authenticationv1.TokenRequestStatus{Token: "t0k"}}
	client, seen := fakeAPIServer(t, map[string]func() (int, any){
		"GET /api/v1/namespaces/ns/configmaps/cm":                  ok(&v1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, Data: map[string]string{"k": "v"}}),
		"GET /api/v1/namespaces/ns/secrets/s":                      ok(&v1.Secret{TypeMeta: metav1.TypeMeta{Kind: "Secret", APIVersion: "v1"}, Data: map[string][]byte{"k": []byte("v")}}),
		"POST /api/v1/namespaces/ns/serviceaccounts/default/token": ok(token),
	})
	ctx := context.Background()
	cm, err := client.PodObjects().ConfigMap(ctx, "ns", "cm")
	if err != nil || cm.Data["k"] != "v" {
		t.Fatalf("ConfigMap = %v, %v", cm, err)
	}
	secret, err := client.PodObjects().Secret(ctx, "ns", "s")
	if err != nil || string(secret.Data["k"]) != "v" {
		t.Fatalf("Secret = %v, %v", secret, err)
	}
	got, err := client.PodObjects().CreateToken(ctx, "ns", "default", &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{Audiences: []string{"api"}}})
	if err != nil || got.Status.Token != "t0k" {
		t.Fatalf("CreateToken = %v, %v", got, err)
	}
	if body := (*seen)[2].body; !strings.Contains(body, `"audiences":["api"]`) || !strings.Contains(body, `"kind":"TokenRequest"`) {
		t.Errorf("token request body = %s", body)
	}
}

// Events are created in the event's namespace and a repeat is a strategic
// merge patch of the event, as client-go's event sink sends them.
func TestEventRequests(t *testing.T) {
	event := &v1.Event{TypeMeta: metav1.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "web.1", Namespace: "ns", ResourceVersion: "9"}, Count: 2}
	ok := func() (int, any) { return http.StatusOK, event }
	client, seen := fakeAPIServer(t, map[string]func() (int, any){
		"POST /api/v1/namespaces/ns/events":        ok,
		"PATCH /api/v1/namespaces/ns/events/web.1": ok,
	})
	ctx := context.Background()
	created, err := client.Events().Create(ctx, &v1.Event{ObjectMeta: metav1.ObjectMeta{Name: "web.1", Namespace: "ns"}, Reason: "Pulled"})
	if err != nil || created.ResourceVersion != "9" {
		t.Fatalf("Create = %v, %v", created, err)
	}
	patch := `{"count":2,"lastTimestamp":"2026-12-05T20:00:00Z"}`
	if patched, err := client.Events().Patch(ctx, "ns", "web.1", []byte(patch)); err != nil || patched.Count != 2 {
		t.Fatalf("Patch = %v, %v", patched, err)
	}
	if got := (*seen)[0]; got.contentType != "application/json" || !strings.Contains(got.body, `"reason":"Pulled"`) {
		t.Errorf("create sent %+v: want the event as JSON", got)
	}
	if got := (*seen)[1]; got.contentType != "application/strategic-merge-patch+json" || got.body != patch {
		t.Errorf("patch sent %+v: want the strategic merge patch %s", got, patch)
	}
}
