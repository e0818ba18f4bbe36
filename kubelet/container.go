package kubelet

import (
	"fmt"
	"strconv"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// containerConfig translates one container of the pod spec into CRI terms.
func (k *Kubelet) containerConfig(pod *v1.Pod, start containerStart, sb sandboxRef) (*runtimeapi.ContainerConfig, error) {
	c := start.Spec
	envs, lookup, err := k.containerEnv(pod, c, sb.IPs)
	if err != nil {
		return nil, err
	}
	mounts, err := k.containerMounts(pod, c)
	if err != nil {
		return nil, err
	}
	termination, err := k.terminationMount(pod, c, start.RestartCount)
	if err != nil {
		return nil, err
	}
	if termination != nil {
		mounts = append(mounts, termination)
	}
	config := &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: uint32(start.RestartCount)},
		// CRI-O checks signatures against the name the user wrote and refuses
		// a container without it; containerd ignores the field.
		Image:       &runtimeapi.ImageSpec{Image: c.Image, UserSpecifiedImage: c.Image},
		Command:     expandAll(c.Command, lookup),
		Args:        expandAll(c.Args, lookup),
		WorkingDir:  c.WorkingDir,
		Envs:        envs,
		Mounts:      mounts,
		Labels:      containerLabels(pod, c.Name, start.Type, k.cfg.NodeName),
		Annotations: containerAnnotations(pod, c, start.RestartCount),
		LogPath:     fmt.Sprintf("%s/%d.log", c.Name, start.RestartCount),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       containerResources(c),
			SecurityContext: securityContext(pod, c),
		},
	}
	return config, nil
}

func expandAll(in []string, lookup func(string) (string, bool)) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expandVars(s, lookup)
	}
	return out
}

// containerEnv resolves the container's env in order, so each value may
// refer to the ones before it, and the pod fields the downward API offers.
func (k *Kubelet) containerEnv(pod *v1.Pod, c *v1.Container, podIPs []string) ([]*runtimeapi.KeyValue, func(string) (string, bool), error) {
	values := map[string]string{}
	lookup := func(name string) (string, bool) { v, ok := values[name]; return v, ok }
	var envs []*runtimeapi.KeyValue
	for i, e := range c.Env {
		value := expandVars(e.Value, lookup)
		if e.ValueFrom != nil {
			var err error
			value, err = k.envFrom(pod, c, e.ValueFrom, podIPs)
			if err != nil {
				return nil, nil, fmt.Errorf("container %s env[%d] (%s): %w", c.Name, i, e.Name, err)
			}
		}
		values[e.Name] = value
		envs = append(envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(value)})
	}
	return envs, lookup, nil
}

func (k *Kubelet) envFrom(pod *v1.Pod, c *v1.Container, from *v1.EnvVarSource, podIPs []string) (string, error) {
	switch {
	case from.FieldRef != nil:
		return k.podField(pod, from.FieldRef.FieldPath, podIPs)
	case from.ResourceFieldRef != nil:
		return resourceField(c, from.ResourceFieldRef)
	default:
		return "", fmt.Errorf("only fieldRef and resourceFieldRef are available to static pods")
	}
}

func (k *Kubelet) podField(pod *v1.Pod, path string, podIPs []string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return k.cfg.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		if len(podIPs) > 0 {
			return podIPs[0], nil
		}
		return "", nil
	default:
		return "", fmt.Errorf("fieldRef %q is not supported", path)
	}
}

func resourceField(c *v1.Container, ref *v1.ResourceFieldSelector) (string, error) {
	var q = c.Resources.Limits
	name := ref.Resource
	if len(name) > 9 && name[:9] == "requests." {
		q, name = c.Resources.Requests, name[9:]
	} else if len(name) > 7 && name[:7] == "limits." {
		name = name[7:]
	}
	value, ok := q[v1.ResourceName(name)]
	if !ok {
		return "0", nil
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		return strconv.FormatInt(value.Value(), 10), nil
	}
	return strconv.FormatInt(value.MilliValue()/divisor.MilliValue(), 10), nil
}

// containerResources maps requests and limits the way the kubelet does on
// cgroup v1: CPU shares from the request, a CFS quota from the limit.
func containerResources(c *v1.Container) *runtimeapi.LinuxContainerResources {
	const cfsPeriod = 100000
	res := &runtimeapi.LinuxContainerResources{CpuShares: 2}
	cpuRequest, hasRequest := c.Resources.Requests[v1.ResourceCPU]
	cpuLimit, hasLimit := c.Resources.Limits[v1.ResourceCPU]
	if !hasRequest && hasLimit {
		cpuRequest, hasRequest = cpuLimit, true
	}
	if hasRequest {
		res.CpuShares = max(cpuRequest.MilliValue()*1024/1000, 2)
	}
	if hasLimit {
		res.CpuPeriod = cfsPeriod
		res.CpuQuota = max(cpuLimit.MilliValue()*cfsPeriod/1000, 1000)
	}
	if mem, ok := c.Resources.Limits[v1.ResourceMemory]; ok {
		res.MemoryLimitInBytes = mem.Value()
	}
	return res
}
