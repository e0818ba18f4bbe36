package apipods

import (
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

// Local is what the node knows of one pod.
type Local struct {
	// Tracked says the sync loop runs (or stops) the pod; Status is then
	// its status.
	Tracked bool
	Status  v1.PodStatus
	// Gone says nothing of the pod is left on the node; Final is then its
	// terminal status as the node saw its containers end, if it has one.
	Gone  bool
	Final *v1.PodStatus
}

// Kind is what an Action does.
type Kind string

const (
	PatchStatus Kind = "patch-status"
	Delete      Kind = "delete"
)

// Action is one API call Plan asks for.
type Action struct {
	Kind            Kind
	Namespace, Name string
	UID             types.UID
	// Patch is PatchStatus's body; Phase the phase it sends, for the log.
	Patch []byte
	Phase v1.PodPhase
	// Refusal, when the patch shows the node's refusal, is why.
	Refusal *Verdict
}

// finalPatch is the patch that gives a deleted pod, gone from the node,
// its terminal status before its final delete, as the kubelet's status
// manager deletes a pod only once the API server shows it Succeeded or
// Failed: then nobody (a controller waiting for the pod, a finalizer's
// owner) is left with the status of a pod still running. The status is
// the node's final one, or, without one (a pod the node never ran, or
// adopted after a restart without its spec), the API server's completed
// by kubelet.TerminatedStatus. nil when the API server already has a
// terminal phase.
func finalPatch(node mirror.Node, p *v1.Pod, final *v1.PodStatus, now time.Time) (*Action, error) {
	if finished(p.Status.Phase) {
		return nil, nil
	}
	status := kubelet.TerminatedStatus(p, p.Status)
	if final != nil {
		status = *final
	}
	want := mirror.Status(&v1.Pod{Status: status}, p, node, now)
	patch, changed, err := mirror.StatusPatch(p, want)
	if err != nil || !changed {
		return nil, err
	}
	return &Action{Kind: PatchStatus, Namespace: p.Namespace, Name: p.Name, UID: p.UID, Patch: patch, Phase: want.Phase}, nil
}

// Plan decides the calls that bring the API server's pods (api) in line
// with the node (local, by UID): a status patch where the status differs
// (the node's, or Failed for a pod the node refused, with the verdict
// the source made), and, for a pod being
// deleted whose containers and sandbox are gone, the final delete. A
// finished pod never gets another phase, as the kubelet's status manager
// refuses that transition. It is pure.
func Plan(node mirror.Node, api []*v1.Pod, local map[types.UID]Local, refused map[types.UID]Verdict, now time.Time) ([]Action, error) {
	var actions []Action
	for _, p := range api {
		if p.Annotations[mirror.AnnotationMirror] != "" {
			continue
		}
		l := local[p.UID]
		if p.DeletionTimestamp != nil && l.Gone {
			final, err := finalPatch(node, p, l.Final, now)
			if err != nil {
				return nil, err
			}
			if final != nil {
				actions = append(actions, *final)
			}
			actions = append(actions, Action{Kind: Delete, Namespace: p.Namespace, Name: p.Name, UID: p.UID})
			continue
		}
		var status v1.PodStatus
		var refusal *Verdict
		switch verdict, isRefused := refused[p.UID]; {
		case l.Tracked:
			status = l.Status
		case isRefused && p.DeletionTimestamp == nil:
			status, refusal = verdict.status(), &verdict
		default:
			continue // not run, or not yet picked up
		}
		want := mirror.Status(&v1.Pod{Status: status}, p, node, now)
		if finished(p.Status.Phase) && want.Phase != p.Status.Phase {
			continue
		}
		patch, changed, err := mirror.StatusPatch(p, want)
		if err != nil {
			return nil, err
		}
		if changed {
			actions = append(actions, Action{Kind: PatchStatus, Namespace: p.Namespace, Name: p.Name, UID: p.UID, Patch: patch, Phase: want.Phase, Refusal: refusal})
		}
	}
	return actions, nil
}

func finished(phase v1.PodPhase) bool { return phase == v1.PodSucceeded || phase == v1.PodFailed }
