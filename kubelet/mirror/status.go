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
