package kubelet

import (
	"context"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// containerConfig resolves the instance's env, prepares the host side of
// its mounts, and translates it; an error is the pod author's to fix
// (CreateContainerConfigError).
func (k *Kubelet) containerConfig(ctx context.Context, pod *v1.Pod, start translate.ContainerStart, sb sandboxRef) (*runtimeapi.ContainerConfig, error) {
	node := k.node()
	env, err := translate.ContainerEnv(node, pod, start.Spec, sb.IPs)
	if err != nil {
		return nil, err
	}
	mounts, err := k.prepareContainerHost(ctx, pod, start, env)
	if err != nil {
		return nil, err
	}
	return translate.ContainerConfig(node, pod, start, env, mounts), nil
}
