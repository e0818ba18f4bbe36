package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/streaming"
)

// streamingRoutes are exec and attach, on the kubelet's paths and the
// API's subresources.
func streamingRoutes(kl *kubelet.Kubelet, runtime *cri.Client, log *slog.Logger) (map[string]http.Handler, error) {
	handler, err := streaming.NewHandler(streaming.HandlerConfig{
		Containers: containerLocator{kl}, Runtime: runtime, Logger: log.With("component", "streaming"),
	})
	if err != nil {
		return nil, err
	}
	routes := map[string]http.Handler{}
	for _, pattern := range streaming.Patterns() {
		routes[pattern] = handler
	}
	return routes, nil
}

// containerLocator adapts the sync loop's lookups to exec and attach.
type containerLocator struct{ kl *kubelet.Kubelet }

func (l containerLocator) Container(_ context.Context, namespace, pod, name string) (streaming.Container, error) {
	view, ok := l.kl.GetPod(namespace, pod)
	if !ok {
		return streaming.Container{}, fmt.Errorf("pod %s/%s: %w", namespace, pod, streaming.ErrPodNotFound)
	}
	out := streaming.Container{PodUID: view.Pod.UID}
	for _, c := range view.Pod.Spec.InitContainers {
		out.InitContainers = append(out.InitContainers, c.Name)
	}
	for _, c := range view.Pod.Spec.Containers {
		out.Containers = append(out.Containers, c.Name)
	}
	found, err := l.kl.LookupContainer(namespace, pod, name)
	switch {
	case errors.Is(err, kubelet.ErrContainerChoice):
		return out, errors.Join(err, streaming.ErrContainerChoice)
	case errors.Is(err, kubelet.ErrPodNotFound) && len(found.Containers) > 0:
		// LookupContainer lists the pod's containers when the pod is
		// there but the name is not one of them.
		return out, errors.Join(err, streaming.ErrNoSuchContainer)
	case errors.Is(err, kubelet.ErrPodNotFound):
		return out, errors.Join(err, streaming.ErrPodNotFound)
	case err != nil:
		return out, err
	}
	out.Name, out.ID, out.Running = found.Name, found.ContainerID, found.Running
	return out, nil
}
