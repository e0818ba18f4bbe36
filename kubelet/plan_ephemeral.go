package kubelet

import (
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// waitForTarget is how soon a pod whose ephemeral container waits for its
// target container to run is looked at again; the target's start wakes it
// sooner.
const waitForTarget = 5 * time.Second

// ephemeralSpec is an ephemeral container as the container it runs as: the
// two types share their fields (the kubelet converts them the same way).
func ephemeralSpec(ec *v1.EphemeralContainer) *v1.Container {
	return (*v1.Container)(&ec.EphemeralContainerCommon)
}

// isEphemeral reports whether name is one of the pod's ephemeral containers.
func isEphemeral(pod *v1.Pod, name string) bool {
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return true
		}
	}
	return false
}

// planEphemeralContainers starts, in the pod's ready sandbox, each
// ephemeral container the runtime holds no instance of, as the kubelet
// does: once, whatever initialization has reached, and never again (an
// exited one stays exited; it has no restart policy, probes or hooks). An
// instance an interrupted start left created, never run, is replaced. One
// with a targetContainerName waits until that container runs, as it joins
// the running instance's process namespace.
func planEphemeralContainers(a *podActions, in planInput, sandboxID string) {
	pod, obs := in.Pod, in.Observed
	for i := range pod.Spec.EphemeralContainers {
		ec := &pod.Spec.EphemeralContainers[i]
		spec := ephemeralSpec(ec)
		if c := obs.newest(spec.Name); c != nil {
			if c.SandboxID != sandboxID || c.State != runtimeapi.ContainerState_CONTAINER_CREATED {
				continue // it ran (or runs): never again
			}
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "incomplete container"})
			a.ContainersToRemove = append(a.ContainersToRemove, c.ID)
		}
		start := startOf(spec, translate.ContainerTypeEphemeral, 0)
		if ec.TargetContainerName != "" {
			target := obs.latest(ec.TargetContainerName, sandboxID)
			if target == nil || target.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
				holdForTarget(a, spec.Name, ec.TargetContainerName)
				continue
			}
			start.TargetID = target.ID
		}
		a.EphemeralToStart = append(a.EphemeralToStart, start)
	}
}

// holdForTarget keeps an ephemeral container waiting for its target, with
// the kubelet's reason for a container it cannot configure.
func holdForTarget(a *podActions, name, target string) {
	if a.Waiting == nil {
		a.Waiting = map[string]waitingState{}
	}
	a.Waiting[name] = waitingState{
		Reason:  ReasonCreateConfig,
		Message: "target container " + target + " is not running; the ephemeral container starts in its process namespace once it runs",
		Event:   EventFailed,
	}
	if a.RequeueAfter == 0 || waitForTarget < a.RequeueAfter {
		a.RequeueAfter = waitForTarget
	}
}

// holdsLastEphemeral reports whether an older sandbox holds the newest
// instance of one of the pod's ephemeral containers: removing it would
// lose the only record that the container ran, and it would start again.
func holdsLastEphemeral(pod *v1.Pod, obs *observedPod, sandboxID string) bool {
	for i := range pod.Spec.EphemeralContainers {
		if c := obs.newest(pod.Spec.EphemeralContainers[i].Name); c != nil && c.SandboxID == sandboxID {
			return true
		}
	}
	return false
}
