package apipods

import (
	"runtime"

	v1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// ReasonNodeAffinity is the status reason of a pod whose nodeSelector or
// required node affinity this node does not match: the name of the
// kubelet's predicate.
const ReasonNodeAffinity = "NodeAffinity"

// nodeAffinityMessage is the kubelet's message for that refusal
// (lifecycle.PredicateFailureError of the scheduler's NodeAffinity
// filter).
const nodeAffinityMessage = "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"

// Verdict is why this node refuses a pod: a status reason and message.
type Verdict struct {
	Reason, Message string
}

func (v Verdict) status() v1.PodStatus {
	return v1.PodStatus{Phase: v1.PodFailed, Reason: v.Reason, Message: v.Message}
}

// needsNode says whether admitting pod depends on the Node's labels or
// fields: it has a nodeSelector or a required node affinity.
func needsNode(pod *v1.Pod) bool {
	a := pod.Spec.Affinity
	return len(pod.Spec.NodeSelector) > 0 ||
		a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil
}

// admit judges one pod as the kubelet's admit handlers do, refusing with
// the first reason that applies (refused, ok). decided is false when the
// verdict needs the Node and node is nil: the pod then neither runs nor is
// refused yet. A pod admitted before (running here, or with a startTime
// the node gave it) is not judged on affinity again: the affinity is
// IgnoredDuringExecution, so relabelling a node, or an agent restart that
// has not read its Node yet, never stops a running pod (the kubelet skips
// that check for such pods too, NotEvictPodOnKubeletRestart). It is pure.
func admit(pod *v1.Pod, node *v1.Node, admitted bool) (refused *Verdict, decided bool) {
	if why := Refusal(pod); why != "" {
		return &Verdict{Reason: ReasonUnsupported, Message: why}, true
	}
	if v := osVerdict(pod); v != nil {
		return v, true
	}
	if v := sysctlVerdict(pod); v != nil {
		return v, true
	}
	if admitted || pod.Status.StartTime != nil || !needsNode(pod) {
		return nil, true
	}
	if node == nil {
		return nil, false
	}
	// An invalid selector matches nothing, as the scheduler's filter
	// ignores the error too; the API server's validation refuses most.
	if ok, _ := nodeaffinity.GetRequiredNodeAffinity(pod).Match(node); !ok {
		return &Verdict{Reason: ReasonNodeAffinity, Message: nodeAffinityMessage}, true
	}
	return nil, true
}

// The kubelet's reasons and messages for a pod of another OS.
const (
	ReasonPodOSNotSupported                   = "PodOSNotSupported"
	ReasonPodOSSelectorNodeLabelDoesNotMatch  = "PodOSSelectorNodeLabelDoesNotMatch"
	podOSNotSupportedMessage                  = "Failed to admit pod as the OS field doesn't match node OS"
	podOSSelectorNodeLabelDoesNotMatchMessage = "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label"
)

// osVerdict refuses a pod made for another OS than the node's, by its
// kubernetes.io/os node selector or its spec.os, as the kubelet's admit
// handlers do (the node's kubernetes.io/os label is runtime.GOOS).
func osVerdict(pod *v1.Pod) *Verdict {
	if os, ok := pod.Spec.NodeSelector[v1.LabelOSStable]; ok && os != runtime.GOOS {
		return &Verdict{Reason: ReasonPodOSSelectorNodeLabelDoesNotMatch, Message: podOSSelectorNodeLabelDoesNotMatchMessage}
	}
	if pod.Spec.OS != nil && string(pod.Spec.OS.Name) != runtime.GOOS {
		return &Verdict{Reason: ReasonPodOSNotSupported, Message: podOSNotSupportedMessage}
	}
	return nil
}
