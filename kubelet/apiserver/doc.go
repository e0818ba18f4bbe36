// Package apiserver serves a small, faithful subset of the Kubernetes API
// for the node's own pods, so the real kubectl (and client-go) work against
// a node that has no API server:
//
//   - discovery: /version, /api, /api/v1, /apis, and an OpenAPI v3 stub
//     that tells kubectl the server validates fields itself;
//   - pods: list (all namespaces or one, label and field selectors), get,
//     watch (?watch=true, resourceVersion, sendInitialEvents), create,
//     update, patch (strategic merge, JSON merge and JSON patch) and
//     delete; server-side Tables for `kubectl get`;
//   - pods/log, translated to the kubelet-style log handler;
//   - events of the pods: list, get and watch, numbered in the pods'
//     version space, kept for an hour after their pod goes.
//
// The manifest directory stays the source of truth: create validates the
// pod exactly as the manifest source will and writes it atomically as
// <namespace>_<name>.yaml; update and patch rewrite the file that defines
// the pod, in the file's own layout where they can (manifestedit); delete
// removes it. The sync loop does the rest. A change of labels or
// annotations alone keeps the pod's UID, and the pod, in place.
//
// Errors are Kubernetes Status objects (404 NotFound, 409 AlreadyExists or
// Conflict, 422 Invalid with one cause per field). Listen and RequireToken
// keep the API on loopback unless TLS and a bearer token protect it.
package apiserver
