package kubelet

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

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
	creds, err := k.pullCredentials(ctx, pod, c.Image)
	if err != nil {
		k.failContainer(pod, c.Name, ReasonErrImagePull, err)
		k.pullBackoff.Next(key)
		return err
	}
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventPulling, Container: c.Name, Message: fmt.Sprintf("Pulling image %q", c.Image)})
	began := time.Now()
	if err := k.pullOnce(ctx, pod, c, spec, sandboxConfig, creds); err != nil {
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

// pullOnce pulls the container's image. Containers sharing an image and
// its pull secrets share one pull; one that asked a moment later finds the
// image present.
func (k *Kubelet) pullOnce(ctx context.Context, pod *v1.Pod, c *v1.Container, spec *runtimeapi.ImageSpec,
	sandboxConfig *runtimeapi.PodSandboxConfig, creds []*runtimeapi.AuthConfig) error {
	_, err, _ := k.pulls.Do(pullGroup(pod, c.Image), func() (any, error) {
		if c.ImagePullPolicy != v1.PullAlways {
			if present, err := k.imagePresent(ctx, spec); err != nil || present {
				return nil, err
			}
		}
		return nil, k.pullWith(ctx, spec, sandboxConfig, creds)
	})
	return err
}

func (k *Kubelet) imagePresent(ctx context.Context, spec *runtimeapi.ImageSpec) (bool, error) {
	resp, err := k.cfg.Images.ImageStatus(ctx, spec, false)
	if err != nil {
		return false, fmt.Errorf("checking image %s: %w", spec.Image, err)
	}
	return resp.GetImage() != nil, nil
}

// pullKey identifies one pod's pull back-off for one image.
func pullKey(pod *v1.Pod, c *v1.Container) string {
	return "pull/" + string(pod.UID) + "/" + c.Image
}

// verifyRunAsNonRoot refuses, before creating anything, a container that
// must not run as root but would; the image's user is read only when the
// spec names none.
func (k *Kubelet) verifyRunAsNonRoot(ctx context.Context, pod *v1.Pod, c *v1.Container) error {
	required, user := translate.RunAsNonRoot(pod, c)
	if !required {
		return nil
	}
	var image *runtimeapi.Image
	if user == nil {
		resp, err := k.cfg.Images.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: c.Image}, false)
		if err != nil {
			return fmt.Errorf("checking the user of image %s: %w", c.Image, err)
		}
		image = resp.GetImage()
	}
	return translate.VerifyNonRoot(user, image)
}
