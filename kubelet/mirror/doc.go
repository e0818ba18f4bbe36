// Package mirror gives each static pod of a node that joined a cluster a
// mirror pod in the cluster's API server, as the kubelet does, so
// `kubectl get pods -A` lists the pods that run from the manifest
// directory.
//
// A mirror pod is a copy of the static pod, named <name>-<node>, bound to
// the node, annotated kubernetes.io/config.mirror with the static pod's
// config hash and owned by the Node (what the NodeRestriction admission
// plugin lets a node create). It is recreated when someone deletes it,
// replaced when the manifest changes, deleted when the manifest goes, and
// its status follows the static pod's through pods/status. It is a
// picture: the manifest, not the mirror, says what runs.
//
// Plan is the pure part (static pods and existing mirror pods in, actions
// out); Mirrors runs it against the API server, level-triggered.
package mirror
