package mirror

import (
	"maps"
	"sort"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// Annotations of mirror pods, as the kubelet spells them.
const (
	// AnnotationMirror marks a mirror pod and holds its static pod's
	// config hash; the API server keeps it from changing.
	AnnotationMirror = "kubernetes.io/config.mirror"
	// AnnotationHash is the static pod's config hash (its UID here).
	AnnotationHash = "kubernetes.io/config.hash"
)

// Name is the mirror pod's name of the static pod podName on node: the
// kubelet names static pods so, and the suffix keeps two nodes with the
// same manifest apart in the cluster.
func Name(podName, node string) string { return podName + "-" + node }

// Node is the node the mirror pods are bound to and owned by.
type Node struct {
	Name string
	UID  types.UID
	// IP is the node's InternalIP, the mirror pods' hostIP; may be empty.
	IP string
}

// Kind is what an Action does.
type Kind string

const (
	Create      Kind = "create"
	Delete      Kind = "delete"
	PatchStatus Kind = "patch-status"
)

// Action is one API call Plan asks for.
type Action struct {
	Kind            Kind
	Namespace, Name string
	// UID is the mirror pod's: Delete's precondition, so a pod recreated
	// meanwhile is left alone; the uid PatchStatus names.
	UID types.UID
	// Pod is the mirror pod to create (Create).
	Pod *v1.Pod
	// Status is the static pod's (Create, PatchStatus; nil for a Create
	// before the agent has observed the pod); Patch the patch from the
	// mirror's status to it (PatchStatus).
	Status *v1.PodStatus
	Patch  []byte
	// Why says, for the log, why a Delete or Create is needed.
	Why string
}

// Plan compares the static pods that run (or should) on node with the
// pods bound to node in the API server, and returns what makes each
// static pod have exactly one up-to-date mirror pod: deletes first, then
// creates, then status patches. Pods bound to node that are not mirror
// pods (no AnnotationMirror) are not the mirror's business.
func Plan(node Node, static []*v1.Pod, existing []v1.Pod, now time.Time) ([]Action, error) {
	want := map[types.NamespacedName]*v1.Pod{}
	for _, p := range static {
		want[types.NamespacedName{Namespace: p.Namespace, Name: Name(p.Name, node.Name)}] = p
	}
	var deletes, creates, patches []Action
	have := map[types.NamespacedName]bool{}
	for i := range existing {
		m := &existing[i]
		if _, ok := m.Annotations[AnnotationMirror]; !ok {
			continue
		}
		key := types.NamespacedName{Namespace: m.Namespace, Name: m.Name}
		p, wanted := want[key]
		why := ""
		switch {
		case !wanted:
			why = "its static pod is gone"
		case m.Annotations[AnnotationMirror] != ConfigHash(p):
			why = "its static pod's manifest changed"
		case m.DeletionTimestamp != nil:
			why = "it was deleted"
		case !sameMetadata(m, p):
			// The agent updates a pod in place when only its labels or
			// annotations change (same hash); a node may not update a
			// pod's metadata, so the mirror is replaced.
			why = "its static pod's labels or annotations changed"
		}
		if why == "" {
			have[key] = true
			if !observed(p) {
				continue
			}
			status := Status(p, m, node, now)
			patch, changed, err := StatusPatch(m, status)
			if err != nil {
				return nil, err
			}
			if changed {
				patches = append(patches, Action{Kind: PatchStatus, Namespace: m.Namespace, Name: m.Name, UID: m.UID, Status: &status, Patch: patch})
			}
			continue
		}
		deletes = append(deletes, Action{Kind: Delete, Namespace: m.Namespace, Name: m.Name, UID: m.UID, Why: why})
	}
	for key, p := range want {
		if have[key] {
			continue
		}
		why := "it has none"
		for _, d := range deletes {
			if d.Namespace == key.Namespace && d.Name == key.Name {
				why = d.Why
			}
		}
		create := Action{Kind: Create, Namespace: key.Namespace, Name: key.Name, Pod: Pod(p, node), Why: why}
		if observed(p) {
			status := Status(p, nil, node, now)
			create.Status = &status
		}
		creates = append(creates, create)
	}
	for _, list := range [][]Action{deletes, creates, patches} {
		sort.Slice(list, func(i, j int) bool {
			if list[i].Namespace != list[j].Namespace {
				return list[i].Namespace < list[j].Namespace
			}
			return list[i].Name < list[j].Name
		})
	}
	return append(append(deletes, creates...), patches...), nil
}

// sameMetadata reports whether mirror m shows static pod p's labels and
// annotations. Annotations others add to m (an admission plugin) are
// tolerated, or m would be replaced for ever.
func sameMetadata(m, p *v1.Pod) bool {
	if !maps.Equal(m.Labels, p.Labels) && (len(m.Labels) > 0 || len(p.Labels) > 0) {
		return false
	}
	for k, v := range p.Annotations {
		if k == staticpods.AnnotationManifestFile {
			continue // not shown on mirrors (see Pod)
		}
		if got, ok := m.Annotations[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// observed reports whether the agent has looked at the static pod in the
// runtime: a status it computed always has a start time. Until then (just
// after an agent restart) its status says nothing, and the mirror pod
// keeps what it shows rather than flapping to Pending and back.
func observed(p *v1.Pod) bool { return p.Status.StartTime != nil }

// ConfigHash is the static pod's config hash: its annotation, else its UID
// (which the manifest source derives from the manifest).
func ConfigHash(p *v1.Pod) string {
	if h := p.Annotations[AnnotationHash]; h != "" {
		return h
	}
	return string(p.UID)
}

// Pod is the mirror pod of static pod p: its labels, annotations and
// spec, under the mirror name, bound to node and owned by it, with
// AnnotationMirror. Like the kubelet's, the owner reference is a
// controller one without blockOwnerDeletion, as NodeRestriction demands,
// so deleting the Node deletes its mirror pods.
func Pod(p *v1.Pod, node Node) *v1.Pod {
	controller := true
	annotations := maps.Clone(p.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationMirror] = ConfigHash(p)
	// The manifest's path on the node is the node's business, not the
	// cluster's (the kubelet shows none either).
	delete(annotations, staticpods.AnnotationManifestFile)
	spec := *p.Spec.DeepCopy()
	spec.NodeName = node.Name
	return &v1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: Name(p.Name, node.Name), Namespace: p.Namespace,
			Labels: maps.Clone(p.Labels), Annotations: annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID, Controller: &controller,
			}},
		},
		Spec: spec,
	}
}
