package translate

import (
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Mount is a volume mount in the runtime's terms, given the host path the
// host step prepared for it.
func Mount(m *v1.VolumeMount, hostPath string) *runtimeapi.Mount {
	return &runtimeapi.Mount{
		ContainerPath: m.MountPath, HostPath: hostPath, Readonly: m.ReadOnly,
		Propagation: propagation(m.MountPropagation),
	}
}

// MountsAt reports whether one of the container's volume mounts goes at
// path, in which case the agent does not mount its own file there.
func MountsAt(c *v1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// propagation maps a mount's propagation; unset means private, as in the API.
func propagation(p *v1.MountPropagationMode) runtimeapi.MountPropagation {
	if p == nil {
		return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
	}
	switch *p {
	case v1.MountPropagationHostToContainer:
		return runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
	case v1.MountPropagationBidirectional:
		return runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
	default:
		return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
	}
}
