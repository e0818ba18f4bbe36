package kubelet

import (
	"slices"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// isSidecar reports a restartable init container (KEP-753): it starts in
// its turn among the init containers, lets the next one start once it has
// started, and keeps running beside the app containers.
func isSidecar(c *v1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways
}

func hasSidecars(pod *v1.Pod) bool {
	return slices.ContainsFunc(pod.Spec.InitContainers, func(c v1.Container) bool { return isSidecar(&c) })
}

// planInitContainers plans the init containers as the kubelet's
// computeInitContainerActions does and reports whether the pod is
// initialized: every regular init container exited 0 and every sidecar has
// started, or an app container already runs in this sandbox.
//
// It walks the init containers from the last one back, because the
// furthest one the runtime holds says how far initialization got (the
// instances of earlier ones may be gone): the one after it is the next to
// start, and every sidecar before it is kept running. Starts are collected
// backwards and reversed at the end, so they happen in the spec's order.
func planInitContainers(a *podActions, in planInput, sandboxID string) bool {
	pod, obs := in.Pod, in.Observed
	inits := pod.Spec.InitContainers
	if len(inits) == 0 {
		return true
	}
	initialized := appContainerCreated(pod, obs, sandboxID)
	reached := initialized // a later init container has run already
	first := len(a.InitsToStart)
	for i := len(inits) - 1; i >= 0; i-- {
		spec := &inits[i]
		c := obs.latest(spec.Name, sandboxID)
		sidecar := isSidecar(spec)
		switch {
		case c == nil:
			if reached && sidecar { // its instance is gone: start it again
				a.InitsToStart = append(a.InitsToStart, startOf(spec, translate.ContainerTypeInit, obs.nextRestartCount(spec.Name)))
			}
			continue
		case reached && !sidecar:
			continue // done long ago; only sidecars are kept running
		}
		switch c.State {
		case runtimeapi.ContainerState_CONTAINER_RUNNING:
			if !sidecar {
				break
			}
			started, restart := planRunningSidecar(a, in, spec, c)
			if started {
				if i == len(inits)-1 {
					initialized = true
				} else if !reached {
					a.InitsToStart = append(a.InitsToStart, nextInit(obs, &inits[i+1]))
				}
			}
			// After the next init container: the starts are reversed
			// below, so the sidecar is back before what needs it starts.
			if restart != nil {
				a.InitsToStart = append(a.InitsToStart, *restart)
			}
		case runtimeapi.ContainerState_CONTAINER_EXITED:
			switch {
			case sidecar || c.ExitCode != 0:
				// A failed regular init container under restartPolicy
				// Never made the pod terminal, which computePodActions
				// checked already.
				planRestart(a, in, spec, translate.ContainerTypeInit, c)
			case i == len(inits)-1:
				initialized = true
			default:
				a.InitsToStart = append(a.InitsToStart, nextInit(obs, &inits[i+1]))
			}
		default: // created but never started, or unknown: start it afresh
			a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "incomplete container"})
			a.ContainersToRemove = append(a.ContainersToRemove, c.ID)
			a.InitsToStart = append(a.InitsToStart, startOf(spec, translate.ContainerTypeInit, replacementRestartCount(obs, c)))
		}
		reached = true
	}
	if !reached {
		a.InitsToStart = append(a.InitsToStart, nextInit(obs, &inits[0]))
	}
	slices.Reverse(a.InitsToStart[first:])
	return initialized
}

func nextInit(obs *observedPod, spec *v1.Container) containerStart {
	return startOf(spec, translate.ContainerTypeInit, obs.nextRestartCount(spec.Name))
}

// planRunningSidecar keeps a running sidecar healthy and reports whether
// it has started, which lets the next init container start. A failed
// startup or liveness probe, or a changed spec, restarts it whatever the
// pod's restartPolicy; the restart counts against its crash back-off.
// The restart for a changed spec is returned, for the caller to order
// before the next init container's start.
func planRunningSidecar(a *podActions, in planInput, spec *v1.Container, c *observedContainer) (started bool, restart *containerStart) {
	if livenessFailed(in, c.ID) {
		failure, _ := in.LivenessFailed(c.ID)
		a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: failure.Message, GracePeriod: failure.GracePeriodSeconds})
		planSidecarRestart(a, in, spec)
		return false, nil
	}
	if in.Started != nil && !in.Started(spec, c.ID) {
		return false, nil
	}
	if specChanged(c, spec) {
		a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "container spec changed"})
		start := nextInit(in.Observed, spec)
		return true, &start
	}
	if restart := planResize(a, spec, c); restart {
		start := nextInit(in.Observed, spec)
		return true, &start
	}
	return true, nil
}

// planSidecarRestart restarts a sidecar its probe has just had killed,
// under the crash back-off (see planLivenessRestart).
func planSidecarRestart(a *podActions, in planInput, spec *v1.Container) {
	key := backoffKey(in.Pod, spec)
	if in.RestartDelay != nil {
		if delay := in.RestartDelay(key); delay > 0 {
			holdInBackOff(a, in.Pod, spec.Name, delay, delay)
			return
		}
	}
	start := nextInit(in.Observed, spec)
	start.BackoffKey = key
	a.InitsToStart = append(a.InitsToStart, start)
}

// appContainerCreated reports whether an app container has an instance in
// the sandbox: then initialization is over, and regular init containers,
// whose instances the runtime may have lost, are not run again.
func appContainerCreated(pod *v1.Pod, obs *observedPod, sandboxID string) bool {
	for i := range pod.Spec.Containers {
		if obs.latest(pod.Spec.Containers[i].Name, sandboxID) != nil {
			return true
		}
	}
	return false
}
