package kubelet

import (
	"slices"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// containerResize is a running container's new cgroup settings.
type containerResize struct {
	ID, Name  string
	Resources *runtimeapi.LinuxContainerResources
	// Blind says nobody knows what the container runs with: the update
	// may change nothing, and is not worth another look at the runtime.
	Blind bool
}

// planResize brings a running container c to the resources of spec (the
// allocated spec) as the kubelet's computePodResizeAction does: in place,
// unless the container's resizePolicy asks for a restart for a resource
// whose cgroup setting changes; then it plans the kill and reports true,
// for the caller to plan the start. A container whose runtime does not
// report its settings runs with those it was made with, which its whole
// hash tells apart from spec's; one made with others is given spec's in
// place at every sync: an update to what it may already have is
// harmless, a restart is not.
func planResize(a *podActions, spec *v1.Container, c *observedContainer) (restart bool) {
	want := translate.ContainerResources(spec)
	if c.Resources == nil {
		if c.Hash == "" || c.Hash == translate.ContainerHash(spec) {
			return false
		}
		a.ContainersToResize = append(a.ContainersToResize, containerResize{ID: c.ID, Name: c.Name, Resources: want, Blind: true})
		return false
	}
	changed := translate.ChangedResources(want, c.Resources)
	if len(changed) == 0 {
		return false
	}
	a.Resizing = true
	if slices.ContainsFunc(changed, func(r v1.ResourceName) bool { return resizeRestarts(spec, r) }) {
		a.ContainersToKill = append(a.ContainersToKill, containerKill{ID: c.ID, Name: c.Name, Reason: "container resized"})
		return true
	}
	a.ContainersToResize = append(a.ContainersToResize, containerResize{ID: c.ID, Name: c.Name, Resources: want})
	return false
}

// resizeRestarts says the container's resizePolicy restarts it when
// resource r changes; the default is NotRequired.
func resizeRestarts(spec *v1.Container, r v1.ResourceName) bool {
	for _, p := range spec.ResizePolicy {
		if p.ResourceName == r {
			return p.RestartPolicy == v1.RestartContainer
		}
	}
	return false
}
