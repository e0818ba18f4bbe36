package eventrecorder

import (
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/record/util"
)

// Component is the event source and reporting controller, the kubelet's,
// so tools that filter on it (kubectl get events --field-selector
// source=kubelet) find this node's events.
const Component = "kubelet"

// PodEvent is one event recorded on a pod.
type PodEvent struct {
	Pod *v1.Pod
	// Static says the pod is a static pod: its Events go to its mirror pod,
	// named MirrorName in the API server and annotated with MirrorHash
	// (kubernetes.io/config.mirror).
	Static                 bool
	MirrorName, MirrorHash string
	Container              string
	Type                   string // v1.EventTypeNormal or v1.EventTypeWarning
	Reason                 string
	Message                string
	Time                   time.Time
}

// podEvent is the Event of e reported by node. The UID is the pod's; for
// a static pod, the one on the node until the sender finds its mirror
// pod's. It is pure.
func podEvent(e PodEvent, node string) *v1.Event {
	ref := v1.ObjectReference{
		Kind: "Pod", APIVersion: "v1", Namespace: e.Pod.Namespace, Name: e.Pod.Name, UID: e.Pod.UID,
		FieldPath: fieldPath(e.Pod, e.Container),
	}
	if e.Static {
		ref.Name = e.MirrorName
	}
	return event(ref, node, e.Type, e.Reason, e.Message, e.Time)
}

// nodeEvent is an event about the Node itself: the kubelet refers to its
// Node by name, with the name as UID.
func nodeEvent(node, eventType, reason, message string, at time.Time) *v1.Event {
	ref := v1.ObjectReference{Kind: "Node", Name: node, UID: types.UID(node)}
	return event(ref, node, eventType, reason, message, at)
}

// event is what client-go's recorder makes of a reference: named after
// the object and the time, in its namespace (default for a cluster-scoped
// one), counted once.
func event(ref v1.ObjectReference, node, eventType, reason, message string, at time.Time) *v1.Event {
	t := metav1.NewTime(at)
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	return &v1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: util.GenerateEventName(ref.Name, at.UnixNano()), Namespace: namespace},
		InvolvedObject:      ref,
		Reason:              reason,
		Message:             message,
		FirstTimestamp:      t,
		LastTimestamp:       t,
		Count:               1,
		Type:                eventType,
		Source:              v1.EventSource{Component: Component, Host: node},
		ReportingController: Component,
		ReportingInstance:   node,
	}
}

// fieldPath names a container as the kubelet's events do,
// spec.containers{web} or spec.initContainers{init}; "" for the pod.
func fieldPath(pod *v1.Pod, container string) string {
	if container == "" {
		return ""
	}
	for _, c := range pod.Spec.InitContainers {
		if c.Name == container {
			return fmt.Sprintf("spec.initContainers{%s}", container)
		}
	}
	return fmt.Sprintf("spec.containers{%s}", container)
}
