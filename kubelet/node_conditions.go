package kubelet

import (
	"slices"

	v1 "k8s.io/api/core/v1"
)

// Node conditions are faults of the node itself that concern every pod,
// such as a full disk behind the pod log directory. The agent serves no
// Node object to carry them, as the kubelet's DiskPressure is carried, so
// each pod's status shows them among its conditions until they clear.

// SetNodeCondition shows cond on every pod's status, replacing an earlier
// condition of its type.
func (k *Kubelet) SetNodeCondition(cond v1.PodCondition) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nodeConditions = slices.DeleteFunc(k.nodeConditions, func(c v1.PodCondition) bool { return c.Type == cond.Type })
	k.nodeConditions = append(k.nodeConditions, cond)
	k.bumpAll()
}

// ClearNodeCondition removes the condition of type t from every pod.
func (k *Kubelet) ClearNodeCondition(t v1.PodConditionType) {
	k.mu.Lock()
	defer k.mu.Unlock()
	before := len(k.nodeConditions)
	k.nodeConditions = slices.DeleteFunc(k.nodeConditions, func(c v1.PodCondition) bool { return c.Type == t })
	if len(k.nodeConditions) != before {
		k.bumpAll()
	}
}

// addNodeConditions appends the node's conditions to a pod's status as it
// is shown. Callers hold k.mu.
func (k *Kubelet) addNodeConditions(status *v1.PodStatus) {
	status.Conditions = append(status.Conditions, k.nodeConditions...)
}

// bumpAll marks every pod changed, so API watchers see a node condition
// come and go. Callers hold k.mu.
func (k *Kubelet) bumpAll() {
	for _, rec := range k.pods {
		k.bump(rec)
	}
}
