package apipods

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

// toRun is what the API server's pods ask of the sync loop.
type toRun struct {
	// Pods run, the spec and metadata only.
	Pods []kubelet.DesiredPod
	// Grace is, per pod being deleted, its deletionGracePeriodSeconds:
	// the grace its stop honours, as a kubelet's does.
	Grace map[types.UID]int64
	// Refused are the pods this node refuses, with why: their status
	// becomes Failed with that reason.
	Refused map[types.UID]Verdict
	// NeedNode says a verdict was made or held for want of the Node:
	// a pod is refused on affinity, or waits for the Node to be read.
	NeedNode bool
}

// desired chooses, among the pods bound to this node, the ones the sync
// loop runs: not mirror pods (the static pods they mirror run already),
// not pods being deleted (they stop, with their grace), not finished pods
// (the kubelet never runs a Succeeded or Failed pod again) and not pods
// admit refuses, or holds until node (this Node as the API server has it;
// nil while unknown) is read. prev is the last call's pods by UID: those
// were admitted, and a pod whose spec and metadata did not change is
// handed over as the same object, so a status the agent itself patched
// does not wake the pod's worker. It is pure.
func desired(pods []*v1.Pod, prev map[types.UID]*v1.Pod, node *v1.Node) toRun {
	out := toRun{Pods: make([]kubelet.DesiredPod, 0, len(pods)), Grace: map[types.UID]int64{}, Refused: map[types.UID]Verdict{}}
	for _, p := range pods {
		switch {
		case p.Annotations[mirror.AnnotationMirror] != "":
		case p.DeletionTimestamp != nil:
			if p.DeletionGracePeriodSeconds != nil {
				out.Grace[p.UID] = *p.DeletionGracePeriodSeconds
			}
		case p.Status.Phase == v1.PodSucceeded || p.Status.Phase == v1.PodFailed:
		default:
			refused, decided := admit(p, node, prev[p.UID] != nil)
			switch {
			case !decided:
				out.NeedNode = true
			case refused != nil:
				out.Refused[p.UID] = *refused
				out.NeedNode = out.NeedNode || refused.Reason == ReasonNodeAffinity
			default:
				out.Pods = append(out.Pods, kubelet.DesiredPod{Pod: specOnly(p, prev[p.UID])})
			}
		}
	}
	return out
}

// specOnly is p without its status and resourceVersion (the sync loop
// keeps its own status), or old when that is the same.
func specOnly(p, old *v1.Pod) *v1.Pod {
	c := &v1.Pod{TypeMeta: p.TypeMeta, ObjectMeta: *p.ObjectMeta.DeepCopy(), Spec: *p.Spec.DeepCopy()}
	c.ResourceVersion, c.ManagedFields = "", nil
	if old != nil && equality.Semantic.DeepEqual(c, old) {
		return old
	}
	return c
}
