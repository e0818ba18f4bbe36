package kubelet

import (
	"context"
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// containerConfig resolves the instance's env, prepares the host side of
// its mounts, and translates it; an error is the pod author's to fix
// (CreateContainerConfigError).
func (k *Kubelet) containerConfig(ctx context.Context, pod *v1.Pod, start translate.ContainerStart, sb sandboxRef) (*runtimeapi.ContainerConfig, error) {
	node := k.node()
	objects, err := k.envObjects(ctx, pod, start.Spec)
	if err != nil {
		return nil, err
	}
	env, err := translate.ContainerEnv(node, pod, start.Spec, sb.IPs, objects)
	if err != nil {
		return nil, err
	}
	if skipped := env.Skipped(); len(skipped) > 0 {
		k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: EventInvalidEnvNames, Container: start.Spec.Name,
			Message: fmt.Sprintf("Keys [%s] from envFrom were skipped since they are invalid environment variable names", strings.Join(skipped, ", "))})
	}
	mounts, err := k.prepareContainerHost(ctx, pod, start, env)
	if err != nil {
		return nil, err
	}
	return translate.ContainerConfig(node, pod, start, env, mounts)
}
