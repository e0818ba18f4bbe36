package kubelet

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// startContainer pulls the image if needed, and those of the image volumes
// it mounts, then creates and starts one container. Failures become the
// container's waiting reason and an event, and are retried with back-off.
func (k *Kubelet) startContainer(ctx context.Context, pod *v1.Pod, sb sandboxRef, start containerStart, res *execResult) {
	name := start.Spec.Name
	startKey := "start/" + backoffKey(pod, start.Spec)
	if left := k.startRetry.Remaining(startKey); left > 0 {
		res.fail(fmt.Errorf("container %s: %w", name, errHeld), left)
		return
	}
	if err := k.ensureImage(ctx, pod, start.Spec, sb.Config); err != nil {
		res.fail(err, max(k.pullBackoff.Remaining(pullKey(pod, start.Spec.Image)), 100*time.Millisecond))
		return
	}
	images, retry, err := k.pullVolumeImages(ctx, pod, start.Spec, startKey, sb.Config)
	if err != nil {
		res.fail(err, retry)
		return
	}
	start.VolumeImages = images
	if err := k.verifyRunAsNonRoot(ctx, pod, start.Spec); err != nil {
		k.failContainer(pod, name, ReasonCreateConfig, err)
		res.fail(err, k.startRetry.Next(startKey))
		return
	}
	if err := k.createAndStart(ctx, pod, sb, start.ContainerStart); err != nil {
		if nameReserved(err) {
			k.log.Debug("the runtime is still making this container (a request from before a restart); waiting for it",
				"pod", podRef(pod, pod.UID), "container", name, "err", err)
			res.fail(err, retryWhileReserved)
			return
		}
		warnUnlessOutage(k.log, err, "starting container failed", "pod", podRef(pod, pod.UID), "container", name)
		res.changed = true // a created-but-failed container may now exist
		res.fail(err, k.startRetry.Next(startKey))
		return
	}
	k.startRetry.Reset(startKey)
	if start.BackoffKey != "" {
		k.crashBackoff.Next(start.BackoffKey)
	}
	k.clearWaiting(pod, name)
	res.changed = true
}

// createAndStart prepares the host for the instance, translates it, and
// has the runtime create and start it, then runs its postStart hook.
func (k *Kubelet) createAndStart(ctx context.Context, pod *v1.Pod, sb sandboxRef, start translate.ContainerStart) error {
	name := start.Spec.Name
	config, err := k.containerConfig(ctx, pod, start, sb)
	if err != nil {
		k.failContainer(pod, name, ReasonCreateConfig, err)
		return err
	}
	logPath := filepath.Join(sb.Config.GetLogDirectory(), config.GetLogPath())
	replaced, err := logs.PrepareContainerLog(logPath)
	k.warnPlanted(pod, name, replaced)
	if err != nil {
		err = fmt.Errorf("preparing log file %s: %w", logPath, err)
		k.failContainer(pod, name, ReasonCreateContainer, err)
		return err
	}
	id, err := k.cfg.Runtime.CreateContainer(ctx, sb.ID, config, sb.Config)
	if err != nil {
		err = fmt.Errorf("creating container %s: %w", name, err)
		if nameReserved(err) {
			return err // not a failure: see startContainer
		}
		k.cfg.Metrics.StartedContainer(string(start.Type), err)
		k.failContainer(pod, name, ReasonCreateContainer, err)
		return err
	}
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventCreated, Container: name, Message: "Created container " + name})
	if err := k.cfg.Runtime.StartContainer(ctx, id); err != nil {
		err = fmt.Errorf("starting container %s: %w", name, err)
		k.cfg.Metrics.StartedContainer(string(start.Type), err)
		k.failContainer(pod, name, ReasonRunContainerError, err)
		return err
	}
	k.cfg.Metrics.StartedContainer(string(start.Type), nil)
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventStarted, Container: name, Message: "Started container " + name})
	k.log.Info("container started", "pod", podRef(pod, pod.UID), "container", name, "restartCount", start.RestartCount, "id", shortID(id))
	return k.runPostStart(ctx, pod, sb, start.Spec, id)
}
