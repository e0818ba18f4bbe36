package nodeserver

import (
	"net/http"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// User is whom a verified client certificate names.
type User struct {
	Name   string
	Groups []string
}

// subresources are the kubelet's path prefixes that have their own
// subresource of nodes; every other path, /containerLogs, /exec, /attach
// and /portForward among them, is nodes/proxy (the kubelet's
// server/auth.go).
var subresources = []struct{ prefix, subresource string }{
	{"/stats", "stats"},
	{"/metrics", "metrics"},
	{"/logs", "log"},
	{"/checkpoint", "checkpoint"},
}

// ReviewSpec is what a SubjectAccessReview asks for a request by user to
// this node's endpoint, as the kubelet maps it: verb from the HTTP method,
// resource nodes named nodeName, subresource from the path. ok is false
// for a method the kubelet maps to no verb.
func ReviewSpec(method, path string, user User, nodeName string) (spec authorizationv1.SubjectAccessReviewSpec, ok bool) {
	verb := verbs[method]
	if verb == "" {
		return spec, false
	}
	if actsInPod(path) {
		// The kubelet asks for the method's verb, so `get` on
		// nodes/proxy (read access) is enough to exec through a WebSocket
		// GET; running something in a pod is a create, however it comes.
		verb = "create"
	}
	return authorizationv1.SubjectAccessReviewSpec{
		User: user.Name, Groups: user.Groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: verb, Version: "v1", Resource: "nodes", Subresource: subresource(path), Name: nodeName,
		},
	}, true
}

var verbs = map[string]string{
	http.MethodGet: "get", http.MethodPost: "create", http.MethodPut: "update",
	http.MethodPatch: "patch", http.MethodDelete: "delete",
}

// actingPrefixes are the paths that run something in a pod or open a
// connection into it.
var actingPrefixes = []string{"/exec/", "/attach/", "/portForward/", "/run/"}

func actsInPod(path string) bool {
	for _, prefix := range actingPrefixes {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

func subresource(path string) string {
	for _, s := range subresources {
		if path == s.prefix || strings.HasPrefix(path, s.prefix+"/") {
			return s.subresource
		}
	}
	return "proxy"
}
