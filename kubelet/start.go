package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// startContainer pulls the image if needed, then creates and starts one
// container. Failures become the container's waiting reason and an event,
// and are retried with back-off.
func (k *Kubelet) startContainer(ctx context.Context, pod *v1.Pod, sb sandboxRef, start containerStart, res *execResult) {
	name := start.Spec.Name
	startKey := "start/" + backoffKey(pod, name)
	if left := k.startRetry.Remaining(startKey); left > 0 {
		res.fail(fmt.Errorf("container %s: %w", name, errHeld), left)
		return
	}
	if err := k.ensureImage(ctx, pod, start.Spec, sb.Config); err != nil {
		res.fail(err, max(k.pullBackoff.Remaining(pullKey(pod, start.Spec)), 100*time.Millisecond))
		return
	}
	if err := k.verifyRunAsNonRoot(ctx, pod, start.Spec); err != nil {
		k.failContainer(pod, name, ReasonCreateConfig, err)
		res.fail(err, k.startRetry.Next(startKey))
		return
	}
	if err := k.createAndStart(ctx, pod, sb, start); err != nil {
		k.log.Warn("starting container failed", "pod", podRef(pod, pod.UID), "container", name, "err", err)
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

func (k *Kubelet) createAndStart(ctx context.Context, pod *v1.Pod, sb sandboxRef, start containerStart) error {
	name := start.Spec.Name
	config, err := k.containerConfig(pod, start, sb)
	if err != nil {
		k.failContainer(pod, name, ReasonCreateConfig, err)
		return err
	}
	logDir := filepath.Join(sb.Config.GetLogDirectory(), name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		err = fmt.Errorf("creating log directory %s: %w", logDir, err)
		k.failContainer(pod, name, ReasonCreateContainer, err)
		return err
	}
	id, err := k.cfg.Runtime.CreateContainer(ctx, sb.ID, config, sb.Config)
	if err != nil {
		err = fmt.Errorf("creating container %s: %w", name, err)
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

// ensureImage honours the pull policy. A failed pull shows ErrImagePull,
// then ImagePullBackOff until the back-off (10 s doubling to 5 min) ends.
func (k *Kubelet) ensureImage(ctx context.Context, pod *v1.Pod, c *v1.Container, sandboxConfig *runtimeapi.PodSandboxConfig) error {
	key := pullKey(pod, c)
	if left := k.pullBackoff.Remaining(key); left > 0 {
		k.setWaiting(pod, c.Name, waitingState{Reason: ReasonImagePullBackOff, Message: fmt.Sprintf("Back-off pulling image %q", c.Image)})
		return fmt.Errorf("image %s: %w", c.Image, errHeld)
	}
	spec := &runtimeapi.ImageSpec{Image: c.Image}
	if c.ImagePullPolicy != v1.PullAlways {
		present, err := k.imagePresent(ctx, spec)
		if err != nil || present {
			return err
		}
		if c.ImagePullPolicy == v1.PullNever {
			err := fmt.Errorf("container image %q is not present with pull policy of Never", c.Image)
			k.failContainer(pod, c.Name, ReasonErrImageNeverPull, err)
			k.pullBackoff.Next(key)
			return err
		}
	}
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventPulling, Container: c.Name, Message: fmt.Sprintf("Pulling image %q", c.Image)})
	began := time.Now()
	// Containers sharing an image share one pull; one that asked a moment
	// later finds the image present.
	_, err, _ := k.pulls.Do(c.Image, func() (any, error) {
		if c.ImagePullPolicy != v1.PullAlways {
			if present, err := k.imagePresent(ctx, spec); err != nil || present {
				return nil, err
			}
		}
		_, err := k.cfg.Images.PullImage(ctx, spec, nil, sandboxConfig)
		return nil, err
	})
	if err != nil {
		err = fmt.Errorf("pulling image %q: %w", c.Image, err)
		k.failContainer(pod, c.Name, ReasonErrImagePull, err)
		k.pullBackoff.Next(key)
		return err
	}
	took := time.Since(began)
	k.cfg.Metrics.ObserveImagePull(took)
	k.pullBackoff.Reset(key)
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventPulled, Container: c.Name,
		Message: fmt.Sprintf("Successfully pulled image %q in %s", c.Image, took.Round(time.Millisecond))})
	return nil
}

func (k *Kubelet) imagePresent(ctx context.Context, spec *runtimeapi.ImageSpec) (bool, error) {
	resp, err := k.cfg.Images.ImageStatus(ctx, spec, false)
	if err != nil {
		return false, fmt.Errorf("checking image %s: %w", spec.Image, err)
	}
	return resp.GetImage() != nil, nil
}

// verifyRunAsNonRoot refuses, before creating anything, a container that
// must not run as root but would: its user is root by the spec or, when
// the spec names none, by the image.
func (k *Kubelet) verifyRunAsNonRoot(ctx context.Context, pod *v1.Pod, c *v1.Container) error {
	nonRoot, uid := effectiveUser(pod, c)
	if !nonRoot {
		return nil
	}
	if uid != nil {
		if *uid == 0 {
			return fmt.Errorf("container has runAsNonRoot and runAsUser 0 (root): set runAsUser to a non-zero user")
		}
		return nil
	}
	resp, err := k.cfg.Images.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: c.Image}, false)
	if err != nil {
		return fmt.Errorf("checking the user of image %s: %w", c.Image, err)
	}
	img := resp.GetImage()
	switch {
	case img.GetUid() != nil && img.GetUid().GetValue() != 0:
		return nil
	case img.GetUid() == nil && img.GetUsername() != "" && img.GetUsername() != "root":
		return fmt.Errorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root: set securityContext.runAsUser", img.GetUsername())
	}
	return fmt.Errorf("container has runAsNonRoot and image will run as root: set securityContext.runAsUser to a non-zero user")
}

func effectiveUser(pod *v1.Pod, c *v1.Container) (nonRoot bool, uid *int64) {
	if p := pod.Spec.SecurityContext; p != nil {
		nonRoot = p.RunAsNonRoot != nil && *p.RunAsNonRoot
		uid = p.RunAsUser
	}
	if s := c.SecurityContext; s != nil {
		if s.RunAsNonRoot != nil {
			nonRoot = *s.RunAsNonRoot
		}
		if s.RunAsUser != nil {
			uid = s.RunAsUser
		}
	}
	return nonRoot, uid
}

func pullKey(pod *v1.Pod, c *v1.Container) string {
	return "pull/" + string(pod.UID) + "/" + c.Image
}

// failContainer records why a container is not running, as a waiting
// reason and a warning event.
func (k *Kubelet) failContainer(pod *v1.Pod, name, reason string, err error) {
	k.setWaiting(pod, name, waitingState{Reason: reason, Message: err.Error()})
	k.addEvent(pod.UID, Event{Type: v1.EventTypeWarning, Reason: EventFailed, Container: name, Message: reason + ": " + err.Error()})
}

func (k *Kubelet) setWaiting(pod *v1.Pod, name string, w waitingState) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[pod.UID]; ok {
		if rec.waiting == nil {
			rec.waiting = map[string]waitingState{}
		}
		rec.waiting[name] = w
	}
}

func (k *Kubelet) setAllWaiting(pod *v1.Pod, w waitingState) {
	for _, c := range pod.Spec.InitContainers {
		k.setWaiting(pod, c.Name, w)
	}
	for _, c := range pod.Spec.Containers {
		k.setWaiting(pod, c.Name, w)
	}
}

func (k *Kubelet) clearWaiting(pod *v1.Pod, name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[pod.UID]; ok {
		delete(rec.waiting, name)
	}
}

func (k *Kubelet) addEvent(uid types.UID, e Event) {
	if e.Time.IsZero() {
		e.Time = k.cfg.Now()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if rec, ok := k.pods[uid]; ok {
		rec.addEvent(e)
	}
}

func shortID(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
