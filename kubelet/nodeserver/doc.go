// Package nodeserver is the node's HTTPS endpoint for the cluster's API
// server: the kubelet's paths (/containerLogs, /exec, /attach,
// /portForward) that `kubectl logs`, `exec`, `attach` and `port-forward`
// reach through kube-apiserver, behind the kubelet's webhook security.
//
//   - Authentication: a TLS client certificate that verifies against the
//     cluster's client CA; its common name is the user and its
//     organizations the groups, as kube-apiserver reads one. Nothing else
//     (no anonymous user, no bearer token) is taken: 401.
//   - Authorization: a SubjectAccessReview to the API server for that
//     user on this Node, with the verb and subresource the kubelet's
//     authorizer maps the request to (ReviewSpec); denied is 403. Allowed
//     answers are cached briefly, so a log follow or an exec does not cost
//     a round trip each.
//
// The package serves what it is given (Config.Routes): the agent mounts
// the same log, exec/attach and port-forward handlers as on its own API.
package nodeserver
