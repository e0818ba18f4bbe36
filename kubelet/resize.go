package kubelet

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// resizeContainers gives running containers their new cgroup settings in
// place (CRI UpdateContainerResources), pod is the allocated spec. The
// pod's own cgroup first takes the loosest of its old and new limits, so
// that neither the containers' old settings nor their new ones exceed it,
// and its new limits once every container has its own. A container that
// cannot be resized is retried at the next sync, its pod cgroup left loose
// until then.
func (k *Kubelet) resizeContainers(ctx context.Context, pod *v1.Pod, resizes []containerResize, res *execResult) {
	if len(resizes) == 0 {
		return
	}
	if err := k.loosenPodCgroup(pod); err != nil {
		res.fail(fmt.Errorf("resizing pod cgroup: %w", err), retryAfterError)
		return
	}
	failed := false
	for _, r := range resizes {
		err := k.cfg.Runtime.UpdateContainerResources(ctx, r.ID, &runtimeapi.ContainerResources{Linux: r.Resources})
		switch {
		case isNotFound(err):
			continue // gone meanwhile; the next sync sees it
		case err != nil:
			failed = true
			res.fail(fmt.Errorf("resizing container %s (%s): %w", r.Name, r.ID, err), retryAfterError)
			k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: EventResizeError, Container: r.Name,
				Message: fmt.Sprintf("Pod resize error: generation %d: %v", pod.Generation, err)})
			continue
		}
		if !r.Blind {
			k.log.Info("container resized", "pod", podRef(pod, pod.UID), "container", r.Name,
				"cpuShares", r.Resources.GetCpuShares(), "cpuQuota", r.Resources.GetCpuQuota(), "memoryLimit", r.Resources.GetMemoryLimitInBytes())
			res.changed = true // look again, to see it applied
		}
	}
	if failed {
		return
	}
	if err := k.ensurePodCgroup(pod); err != nil {
		res.fail(fmt.Errorf("resizing pod cgroup: %w", err), retryAfterError)
	}
}
