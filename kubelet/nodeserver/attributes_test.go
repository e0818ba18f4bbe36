package nodeserver

import "testing"

func TestReviewSpecMapsAsTheKubelet(t *testing.T) {
	user := User{Name: "kube-apiserver-kubelet-client", Groups: []string{"system:masters"}}
	for _, tt := range []struct {
		method, path      string
		verb, subresource string
	}{
		{"GET", "/containerLogs/default/web/kubia", "get", "proxy"},
		{"POST", "/exec/default/web/kubia", "create", "proxy"},
		// A WebSocket exec is a GET; running something is still a create,
		// so read access to nodes/proxy cannot exec (the kubelet asks get).
		{"GET", "/exec/default/web/kubia", "create", "proxy"},
		{"GET", "/attach/default/web/kubia", "create", "proxy"},
		{"GET", "/portForward/default/web", "create", "proxy"},
		{"POST", "/attach/default/web/kubia", "create", "proxy"},
		{"POST", "/portForward/default/web", "create", "proxy"},
		{"GET", "/stats/summary", "get", "stats"},
		{"GET", "/metrics", "get", "metrics"},
		{"GET", "/metrics/cadvisor", "get", "metrics"},
		{"GET", "/logs/syslog", "get", "log"},
		{"GET", "/logsx", "get", "proxy"},
		{"POST", "/checkpoint/default/web/kubia", "create", "checkpoint"},
		{"PUT", "/x", "update", "proxy"},
		{"PATCH", "/x", "patch", "proxy"},
		{"DELETE", "/x", "delete", "proxy"},
	} {
		spec, ok := ReviewSpec(tt.method, tt.path, user, "node-1")
		if !ok {
			t.Errorf("%s %s: no verb", tt.method, tt.path)
			continue
		}
		r := spec.ResourceAttributes
		if spec.User != user.Name || len(spec.Groups) != 1 || r.Verb != tt.verb || r.Subresource != tt.subresource ||
			r.Resource != "nodes" || r.Name != "node-1" || r.Group != "" || r.Version != "v1" || r.Namespace != "" {
			t.Errorf("%s %s = %+v %+v; want verb %s subresource %s", tt.method, tt.path, spec, r, tt.verb, tt.subresource)
		}
	}
	if _, ok := ReviewSpec("OPTIONS", "/exec/a/b/c", user, "node-1"); ok {
		t.Error("OPTIONS maps to a verb")
	}
}
