package kubelet

import (
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ephemeralStatuses are the statuses of the pod's ephemeral containers,
// as the kubelet reports them: the state of each one's only instance
// (waiting with defaultReason before it exists), never ready and with no
// started mark (no prober looks at them) and no resources, sorted by name as the kubelet's
// status manager sorts them. They weigh in neither the pod's phase nor its
// conditions.
func ephemeralStatuses(pod *v1.Pod, obs *observedPod, sandboxID string, waiting map[string]waitingState, runtimeName, defaultReason string) []v1.ContainerStatus {
	var statuses []v1.ContainerStatus
	for i := range pod.Spec.EphemeralContainers {
		cs := containerStatus(pod.UID, ephemeralSpec(&pod.Spec.EphemeralContainers[i]), obs, sandboxID, waiting, runtimeName, defaultReason, notProbed{})
		cs.Ready, cs.Started = false, nil
		// Nothing is allocated to an ephemeral container (it has no
		// resources and is never resized): the kubelet reports none.
		cs.Resources, cs.AllocatedResources = nil, nil
		statuses = append(statuses, cs)
	}
	slices.SortFunc(statuses, func(a, b v1.ContainerStatus) int { return strings.Compare(a.Name, b.Name) })
	return statuses
}

// notProbed answers for containers no probe looks at.
type notProbed struct{}

func (notProbed) Ready(types.UID, *v1.Container, string) bool   { return false }
func (notProbed) Started(types.UID, *v1.Container, string) bool { return false }
