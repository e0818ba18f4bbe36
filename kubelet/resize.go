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
// until then. resizing (the plan's Resizing) says a resize is being
// applied, perhaps only by restarting containers, which were killed
// before this: the pod cgroup takes its new limits all the same, before
// they start again, or a restarted container would be held to the old
// ones (and cgroup v1 refuses to create it with a CFS quota above its
// pod's).
func (k *Kubelet) resizeContainers(ctx context.Context, pod *v1.Pod, resizes []containerResize, resizing bool, res *execResult) {
	if len(resizes) == 0 && !resizing {
		return
	}
	if err := k.loosenPodCgroup(pod); err != nil {
		err = fmt.Errorf("resizing pod cgroup: %w", err)
		res.fail(err, retryAfterError)
		k.noteResizeError(pod, err.Error())
		return
	}
	failed := false
	for _, r := range resizes {
		err := k.cfg.Runtime.UpdateContainerResources(ctx, r.ID, &runtimeapi.ContainerResources{Linux: r.Resources})
		switch {
		case isNotFound(err):
			continue // gone meanwhile; the next sync sees it
		case err != nil:
			err = fmt.Errorf("resizing container %s (%s): %w", r.Name, r.ID, err)
			failed = true
			res.fail(err, retryAfterError)
			k.noteResizeError(pod, err.Error())
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
		return
	}
	k.noteResizeError(pod, "")
}

// noteResizeError records why applying a pod's resize failed ("" once it
// did not), for its PodResizeInProgress condition, and tells each new
// failure once as the kubelet's ResizeError event: a failure retried
// every second (a memory limit below what the container uses) must not
// flood the pod's events.
func (k *Kubelet) noteResizeError(pod *v1.Pod, message string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec, ok := k.pods[pod.UID]
	if !ok || rec.resizeError == message {
		return
	}
	rec.resizeError = message
	if message != "" {
		k.recordLocked(rec, Event{Time: k.cfg.Now(), Type: v1.EventTypeWarning, Reason: EventResizeError,
			Message: fmt.Sprintf("Pod resize error: generation %d: %s", pod.Generation, message)})
		k.bump(nil)
	}
}
