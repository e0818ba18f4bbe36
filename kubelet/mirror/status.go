package mirror

import (
	"encoding/json"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// Status is the status mirror pod m (nil before it exists) should show
// for static pod p: p's, with the node's IP as hostIP (and as podIP on
// the host's network); m's startTime, set
// once as the kubelet's status manager sets it (a restarted agent starts
// its own clock again); and each condition's lastTransitionTime kept from
// m while the condition's status is unchanged, else now (the agent does
// not keep transition times).
func Status(p *v1.Pod, m *v1.Pod, node Node, now time.Time) v1.PodStatus {
	s := *p.Status.DeepCopy()
	if m != nil && m.Status.StartTime != nil {
		s.StartTime = m.Status.StartTime.DeepCopy()
	}
	if node.IP != "" {
		s.HostIP, s.HostIPs = node.IP, []v1.HostIP{{IP: node.IP}}
		// A pod on the host's network has the node's IP, as the kubelet
		// reports it: tools and the suite reach it there.
		if m != nil && m.Spec.HostNetwork && s.PodIP == "" {
			s.PodIP, s.PodIPs = node.IP, []v1.PodIP{{IP: node.IP}}
		}
	}
	observeGeneration(&s, m)
	keepOthersConditions(&s, m)
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		c.LastTransitionTime = metav1.NewTime(now)
		if m == nil {
			continue
		}
		for _, old := range m.Status.Conditions {
			if old.Type == c.Type && old.Status == c.Status && !old.LastTransitionTime.IsZero() {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
	}
	return s
}

// kubeletConditions are the pod conditions the kubelet sets, and stamps
// with the generation it saw.
var kubeletConditions = map[v1.PodConditionType]bool{
	v1.PodInitialized: true, v1.PodReady: true, v1.ContainersReady: true, v1.PodScheduled: true, v1.PodReadyToStartContainers: true,
	// A resize's conditions go once it is done.
	v1.PodResizePending: true, v1.PodResizeInProgress: true,
}

// observeGeneration stamps a status that does not say which spec it is of
// (a static pod's, for its mirror) and the kubelet's conditions with m's
// metadata.generation, as the kubelet does since Kubernetes 1.34
// (status.observedGeneration): a client that changed the pod knows when
// the node has seen its change.
func observeGeneration(s *v1.PodStatus, m *v1.Pod) {
	if s.ObservedGeneration != 0 {
		return // the node's status says which spec it is of (an API pod's)
	}
	if m == nil || m.Generation == 0 {
		return
	}
	s.ObservedGeneration = m.Generation
	for i := range s.Conditions {
		if kubeletConditions[s.Conditions[i].Type] {
			s.Conditions[i].ObservedGeneration = m.Generation
		}
	}
}

// keepOthersConditions carries over the conditions others set on m (a
// readiness gate's, DisruptionTarget, ...), as the kubelet's status
// manager merges them: a patch from m's status must not delete them.
func keepOthersConditions(s *v1.PodStatus, m *v1.Pod) {
	if m == nil {
		return
	}
	for _, c := range m.Status.Conditions {
		if !kubeletConditions[c.Type] && !hasCondition(s.Conditions, c.Type) {
			s.Conditions = append(s.Conditions, c)
		}
	}
}

func hasCondition(conditions []v1.PodCondition, t v1.PodConditionType) bool {
	for _, c := range conditions {
		if c.Type == t {
			return true
		}
	}
	return false
}

// StatusPatch is the strategic merge patch from m's status to want, with
// m's UID as a precondition, as the kubelet's status manager sends; changed
// is false when there is no difference. Times compare at the second, as
// the API server stores them.
func StatusPatch(m *v1.Pod, want v1.PodStatus) (patch []byte, changed bool, err error) {
	oldData, err := json.Marshal(v1.Pod{Status: m.Status})
	if err != nil {
		return nil, false, fmt.Errorf("encoding the status of pod %s/%s: %w", m.Namespace, m.Name, err)
	}
	newData, err := json.Marshal(v1.Pod{Status: want})
	if err != nil {
		return nil, false, fmt.Errorf("encoding the status of pod %s/%s: %w", m.Namespace, m.Name, err)
	}
	diff, err := strategicpatch.CreateTwoWayMergePatch(oldData, newData, v1.Pod{})
	if err != nil {
		return nil, false, fmt.Errorf("computing the status patch of pod %s/%s: %w", m.Namespace, m.Name, err)
	}
	if string(diff) == "{}" {
		return nil, false, nil
	}
	var body map[string]any
	if err := json.Unmarshal(diff, &body); err != nil {
		return nil, false, fmt.Errorf("computing the status patch of pod %s/%s: %w", m.Namespace, m.Name, err)
	}
	body["metadata"] = map[string]any{"uid": m.UID}
	patch, err = json.Marshal(body)
	if err != nil {
		return nil, false, fmt.Errorf("encoding the status patch of pod %s/%s: %w", m.Namespace, m.Name, err)
	}
	return patch, true, nil
}
