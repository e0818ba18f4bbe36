package apipods

import (
	"slices"
	"strings"

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
// not pods being deleted (they stop, with their grace), not pods the node
// refuses or refused. A finished pod (Succeeded or Failed) that started is
// handed over marked
// Finished, without admission and holding no hostPort: the kubelet never
// runs it again but keeps its stopped containers, and so its logs, until
// it is deleted; only the API server's phase tells a restarted agent it
// finished. The node refuses what admit refuses, or holds until node (this Node as
// the API server has it; nil while unknown) is read, and a pod asking for
// a hostPort that local (the node's static pods) or an API pod admitted
// before it holds. New pods are admitted oldest first, as the kubelet
// admits them, so of two asking for one port the older gets it. prev is
// the last call's pods by UID: those were admitted, and a pod whose spec
// and metadata did not change is handed over as the same object, so a
// status the agent itself patched does not wake the pod's worker. It is
// pure.
func desired(pods []*v1.Pod, prev map[types.UID]*v1.Pod, node *v1.Node, local []*v1.Pod) toRun {
	out := toRun{Pods: make([]kubelet.DesiredPod, 0, len(pods)), Grace: map[types.UID]int64{}, Refused: map[types.UID]Verdict{}}
	var used hostPorts
	for _, p := range local {
		used.add(p)
	}
	admitted := func(p *v1.Pod) bool { return prev[p.UID] != nil || p.Status.StartTime != nil }
	var candidates []*v1.Pod
	for _, p := range pods {
		switch {
		case p.Annotations[mirror.AnnotationMirror] != "":
		case p.DeletionTimestamp != nil:
			if p.DeletionGracePeriodSeconds != nil {
				out.Grace[p.UID] = *p.DeletionGracePeriodSeconds
			}
			if admitted(p) {
				used.add(p) // its containers hold the ports until they stop
			}
		case finished(p.Status.Phase) && p.Status.StartTime == nil:
			// Refused at admission: it never ran, so there is nothing to
			// keep, and a pod the sync loop does not hold cannot share a
			// static pod's name (the node endpoint serves neither then).
		case finished(p.Status.Phase):
			out.Pods = append(out.Pods, kubelet.DesiredPod{Pod: specOnly(p, prev[p.UID]), Finished: p.Status.Phase})
		default:
			candidates = append(candidates, p)
		}
	}
	slices.SortFunc(candidates, func(a, b *v1.Pod) int {
		if admitted(a) != admitted(b) {
			if admitted(a) {
				return -1
			}
			return 1
		}
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	for _, p := range candidates {
		refused, decided := admit(p, node, prev[p.UID] != nil)
		if decided && refused == nil && !admitted(p) && used.conflict(p) {
			refused = &Verdict{Reason: ReasonNodePorts, Message: nodePortsMessage}
		}
		switch {
		case !decided:
			out.NeedNode = true
		case refused != nil:
			out.Refused[p.UID] = *refused
			out.NeedNode = out.NeedNode || refused.Reason == ReasonNodeAffinity
		default:
			used.add(p)
			out.Pods = append(out.Pods, kubelet.DesiredPod{Pod: specOnly(p, prev[p.UID])})
		}
	}
	return out
}

// specOnly is p without its resourceVersion and the status the sync loop
// keeps itself, or old when that is the same: a new pointer means the
// pod changed in a way the node acts on. Of the status it keeps
// startTime (activeDeadlineSeconds counts from it, across agent
// restarts) and the conditions the pod's readiness gates name, which
// others set and Ready waits for.
func specOnly(p, old *v1.Pod) *v1.Pod {
	c := &v1.Pod{TypeMeta: p.TypeMeta, ObjectMeta: *p.ObjectMeta.DeepCopy(), Spec: *p.Spec.DeepCopy()}
	c.ResourceVersion, c.ManagedFields = "", nil
	if p.Status.StartTime != nil {
		c.Status.StartTime = p.Status.StartTime.DeepCopy()
	}
	for _, gate := range p.Spec.ReadinessGates {
		for _, cond := range p.Status.Conditions {
			if cond.Type == gate.ConditionType {
				c.Status.Conditions = append(c.Status.Conditions, *cond.DeepCopy())
			}
		}
	}
	if old != nil && equality.Semantic.DeepEqual(c, old) {
		return old
	}
	return c
}
