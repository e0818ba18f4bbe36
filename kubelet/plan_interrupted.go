package kubelet

import (
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// interruptedAsCreated returns obs with every instance that was cut short
// before it ever started seen as still only created: one an earlier life
// of the agent created and that exited without starting (the agent died
// with its StartContainer in flight, and the runtime failed the start as
// canceled, exit code 128), and one the runtime lost track of before it
// started (containerd, killed mid-CreateContainer, reloads it in an
// unknown state with no times). Planned as created, it is replaced without
// counting a restart, without a crash back-off, and never makes a pod with
// restartPolicy Never finish. An instance this agent created and failed to
// start is a failure of its own and keeps counting. obs is not changed; it
// is returned as is when nothing was cut short.
func interruptedAsCreated(obs *observedPod, agentStart time.Time) *observedPod {
	var settled *observedPod
	for i, c := range obs.Containers {
		if !interrupted(c, agentStart) {
			continue
		}
		if settled == nil {
			copied := *obs
			copied.Containers = append([]observedContainer(nil), obs.Containers...)
			settled = &copied
		}
		settled.Containers[i].State = runtimeapi.ContainerState_CONTAINER_CREATED
	}
	if settled == nil {
		return obs
	}
	return settled
}

// interrupted reports an instance that never started and either exited
// before this agent began or is in an unknown state.
func interrupted(c observedContainer, agentStart time.Time) bool {
	if !c.StartedAt.IsZero() {
		return false
	}
	switch c.State {
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return !c.CreatedAt.IsZero() && c.CreatedAt.Before(agentStart)
	case runtimeapi.ContainerState_CONTAINER_UNKNOWN:
		return true
	}
	return false
}
