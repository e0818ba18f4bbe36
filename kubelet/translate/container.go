package translate

import (
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerStart is one instance of a container to create.
type ContainerStart struct {
	Spec *v1.Container
	Type ContainerType
	// RestartCount numbers the instance: 0 for the first, then one more
	// for each restart, across sandboxes.
	RestartCount int
}

// ContainerConfig describes one container instance to the runtime. env is
// the container's resolved environment (ContainerEnv), which command and
// args are expanded with; mounts are what the host step prepared, passed
// through in order.
func ContainerConfig(node Node, pod *v1.Pod, start ContainerStart, env Env, mounts []*runtimeapi.Mount) *runtimeapi.ContainerConfig {
	c := start.Spec
	return &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(start.RestartCount)},
		// CRI-O checks signatures against the name the user wrote and
		// refuses a container without it; containerd ignores the field.
		Image:       &runtimeapi.ImageSpec{Image: c.Image, UserSpecifiedImage: c.Image},
		Command:     expandAll(c.Command, env.Lookup),
		Args:        expandAll(c.Args, env.Lookup),
		WorkingDir:  c.WorkingDir,
		Envs:        env.KeyValues(),
		Mounts:      mounts,
		Labels:      ContainerLabels(node, pod, c.Name, start.Type),
		Annotations: ContainerAnnotations(pod, c, start.RestartCount),
		LogPath:     ContainerLogPath(c.Name, start.RestartCount),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       ContainerResources(c),
			SecurityContext: ContainerSecurityContext(pod, c),
		},
	}
}
