package apiserver

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/minikubelet/minikubelet/kubelet"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// ConditionManifestValid is the pod condition that says whether the pod's
// manifest file is valid right now. It is False, with the problems as its
// message, while the file has errors: the pod then runs its last good spec
// (or, if it never had one, does not run at all).
const ConditionManifestValid v1.PodConditionType = "minikubelet.io/ManifestValid"

// ReasonManifestInvalid is the reason of a False ConditionManifestValid.
const ReasonManifestInvalid = "ManifestInvalid"

// eventSource names the agent in the events it serves.
const eventSource = "minikubelet"

// renderer turns the sync loop's views into API objects for one node.
type renderer struct {
	nodeName string
}

// render builds the pod the API serves for a view at the entry's version.
func (r renderer) render(view kubelet.PodView, e *entry) *servedPod {
	pod := view.Pod.DeepCopy()
	pod.APIVersion, pod.Kind = "v1", "Pod"
	pod.ResourceVersion = strconv.FormatUint(e.version, 10)
	if pod.Spec.NodeName == "" {
		pod.Spec.NodeName = r.nodeName
	}
	if pod.CreationTimestamp.IsZero() {
		// Static pods are created by the file, not by an API server: the
		// agent's first sight of the pod is the truest creation time.
		created := metav1.NewTime(e.firstSeen)
		if pod.Status.StartTime != nil {
			created = *pod.Status.StartTime
		}
		pod.CreationTimestamp = created
	}
	if view.Terminating {
		since := metav1.NewTime(e.terminatingSince)
		pod.DeletionTimestamp = &since
		grace := int64(v1.DefaultTerminationGracePeriodSeconds)
		if pod.Spec.TerminationGracePeriodSeconds != nil {
			grace = *pod.Spec.TerminationGracePeriodSeconds
		}
		pod.DeletionGracePeriodSeconds = &grace
	}
	if view.File != "" {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[staticpods.AnnotationManifestFile] = view.File
	}
	pod.Status.Conditions = append(pod.Status.Conditions, manifestCondition(view, pod))
	return &servedPod{Pod: pod, View: view, Events: r.events(view, pod)}
}

// manifestCondition reports the manifest's health on the pod itself, so
// `kubectl get pod -o yaml` and `describe` show a broken file.
func manifestCondition(view kubelet.PodView, pod *v1.Pod) v1.PodCondition {
	if len(view.ManifestErrors) == 0 {
		return v1.PodCondition{Type: ConditionManifestValid, Status: v1.ConditionTrue, LastTransitionTime: pod.CreationTimestamp}
	}
	message := strings.Join(view.ManifestErrors, "\n")
	if view.Stale {
		message = "the manifest is invalid; the pod keeps running its last valid spec until it is fixed or deleted:\n" + message
	}
	return v1.PodCondition{
		Type: ConditionManifestValid, Status: v1.ConditionFalse,
		Reason: ReasonManifestInvalid, Message: message,
	}
}

// events turns the pod's recorded events into core v1 Events, the objects
// `kubectl describe` lists.
func (r renderer) events(view kubelet.PodView, pod *v1.Pod) []v1.Event {
	out := make([]v1.Event, 0, len(view.Events))
	for _, e := range view.Events {
		at := metav1.NewTime(e.Time)
		ev := v1.Event{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
			ObjectMeta: metav1.ObjectMeta{
				Name:              pod.Name + "." + eventID(pod, e),
				Namespace:         pod.Namespace,
				CreationTimestamp: at,
				ResourceVersion:   pod.ResourceVersion,
			},
			InvolvedObject: v1.ObjectReference{
				Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			},
			Reason: e.Reason, Message: e.Message, Type: e.Type,
			FirstTimestamp: at, LastTimestamp: at, Count: 1,
			Source:              v1.EventSource{Component: eventSource, Host: r.nodeName},
			ReportingController: eventSource, ReportingInstance: r.nodeName,
		}
		if e.Container != "" {
			ev.InvolvedObject.FieldPath = containerFieldPath(pod, e.Container)
		}
		out = append(out, ev)
	}
	return out
}

// eventID is stable for the same event, so a client sees one object per
// event across requests.
func eventID(pod *v1.Pod, e kubelet.Event) string {
	sum := sha256.Sum256([]byte(string(pod.UID) + "\x00" + e.Time.String() + "\x00" + e.Reason + "\x00" + e.Container + "\x00" + e.Message))
	return hex.EncodeToString(sum[:8])
}

func containerFieldPath(pod *v1.Pod, name string) string {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return "spec.initContainers{" + name + "}"
		}
	}
	return "spec.containers{" + name + "}"
}
