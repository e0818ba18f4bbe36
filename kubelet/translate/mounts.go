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

// ImageMount is a mount of an image volume: the runtime mounts the image
// named by image (its ref, as the pull step resolved it) itself, at
// subPath inside it when given, and always read-only: an image volume is
// the image's files as they are, never a host directory.
func ImageMount(m *v1.VolumeMount, image *runtimeapi.ImageSpec, subPath string) *runtimeapi.Mount {
	return &runtimeapi.Mount{
		ContainerPath: m.MountPath, Image: image, ImageSubPath: subPath, Readonly: true,
		Propagation: propagation(m.MountPropagation),
	}
}

// VolumeImage is the image spec an image volume is pulled and mounted
// by: ref is what the pull resolved (the image's ID), and the reference
// the pod gave goes with it, as with a container's image (CRI-O checks
// signatures against it).
func VolumeImage(source *v1.ImageVolumeSource, ref string) *runtimeapi.ImageSpec {
	return &runtimeapi.ImageSpec{Image: ref, UserSpecifiedImage: source.Reference}
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
