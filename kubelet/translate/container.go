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
	// TargetID, for an ephemeral container with a targetContainerName, is
	// the running instance of that container whose process namespace it
	// joins, so a debugger sees the target's processes.
	TargetID string
	// VolumeImages are the images of the image volumes the instance
	// mounts, by volume name, as the pull step before it resolved them.
	VolumeImages map[string]*runtimeapi.ImageSpec
}

// ContainerConfig describes one container instance to the runtime. env is
// the container's resolved environment (ContainerEnv), which command and
// args are expanded with; mounts are what the host step prepared, passed
// through in order. An error is the pod author's: command and args that
// expand past MaxArgvBytes.
func ContainerConfig(node Node, pod *v1.Pod, start ContainerStart, env Env, mounts []*runtimeapi.Mount) (*runtimeapi.ContainerConfig, error) {
	c := start.Spec
	command, args, err := expandArgv(c, env.Lookup)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(start.RestartCount)},
		// CRI-O checks signatures against the name the user wrote and
		// refuses a container without it; containerd ignores the field.
		Image:       &runtimeapi.ImageSpec{Image: c.Image, UserSpecifiedImage: c.Image},
		Command:     command,
		Args:        args,
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
			SecurityContext: targetProcessNamespace(ContainerSecurityContext(pod, c), start.TargetID),
		},
	}, nil
}
