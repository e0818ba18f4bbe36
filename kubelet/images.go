package kubelet

import (
	"cmp"
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// imagePull is one image a container needs before it starts: its own, or
// that of an image volume it mounts. Both are pulled alike, with the pod's
// pull secrets and one back-off per pod and image, as the kubelet does.
type imagePull struct {
	image  string
	policy v1.PullPolicy
	// volume names the image volume the pull is for; "" for the
	// container's own image. The kubelet records a volume's pull events
	// on the pod, not on a container.
	volume string
}

// containerPull is the pull of the container's own image.
func containerPull(c *v1.Container) imagePull {
	return imagePull{image: c.Image, policy: c.ImagePullPolicy}
}

// describe names the image in messages.
func (p imagePull) describe() string {
	if p.volume == "" {
		return fmt.Sprintf("image %q", p.image)
	}
	return fmt.Sprintf("image %q of volume %q", p.image, p.volume)
}

// ensureImage honours the pull policy of the container's image.
func (k *Kubelet) ensureImage(ctx context.Context, pod *v1.Pod, c *v1.Container, sandboxConfig *runtimeapi.PodSandboxConfig) error {
	_, err := k.ensurePulled(ctx, pod, c.Name, containerPull(c), sandboxConfig)
	return err
}

// ensurePulled honours the pull's policy and returns the image's ref (its
// ID) as the runtime knows it. A failed pull shows on the container as
// ErrImagePull, then ImagePullBackOff until the back-off (10 s doubling to
// 5 min) ends.
func (k *Kubelet) ensurePulled(ctx context.Context, pod *v1.Pod, container string, p imagePull, sandboxConfig *runtimeapi.PodSandboxConfig) (string, error) {
	key := pullKey(pod, p.image)
	if left := k.pullBackoff.Remaining(key); left > 0 {
		k.setWaiting(pod, container, waitingState{Reason: ReasonImagePullBackOff, Message: "Back-off pulling " + p.describe()})
		return "", fmt.Errorf("%s: %w", p.describe(), errHeld)
	}
	spec := &runtimeapi.ImageSpec{Image: p.image}
	if p.policy != v1.PullAlways {
		ref, err := k.imagePresent(ctx, spec)
		if err != nil || ref != "" {
			return ref, err
		}
		if p.policy == v1.PullNever {
			what := p.describe()
			if p.volume == "" {
				what = "container " + what // the kubelet's words
			}
			err := fmt.Errorf("%s is not present with pull policy of Never", what)
			k.failContainer(pod, container, ReasonErrImageNeverPull, err)
			k.pullBackoff.Next(key)
			return "", err
		}
	}
	eventContainer := container
	if p.volume != "" {
		eventContainer = ""
	}
	creds, err := k.pullCredentials(ctx, pod, p.image)
	if err != nil {
		k.failContainer(pod, container, ReasonErrImagePull, err)
		k.pullBackoff.Next(key)
		return "", err
	}
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventPulling, Container: eventContainer, Message: fmt.Sprintf("Pulling image %q", p.image)})
	began := time.Now()
	ref, err := k.pullOnce(ctx, pod, p, spec, sandboxConfig, creds)
	if err != nil {
		err = fmt.Errorf("pulling %s: %w", p.describe(), err)
		k.failContainer(pod, container, ReasonErrImagePull, err)
		k.pullBackoff.Next(key)
		return "", err
	}
	took := time.Since(began)
	k.cfg.Metrics.ObserveImagePull(took)
	k.pullBackoff.Reset(key)
	k.addEvent(pod.UID, Event{Type: v1.EventTypeNormal, Reason: EventPulled, Container: eventContainer,
		Message: fmt.Sprintf("Successfully pulled image %q in %s", p.image, took.Round(time.Millisecond))})
	return ref, nil
}

// pullOnce pulls the image and returns its ref. Containers sharing an
// image and its pull secrets share one pull; one that asked a moment later
// finds the image present.
func (k *Kubelet) pullOnce(ctx context.Context, pod *v1.Pod, p imagePull, spec *runtimeapi.ImageSpec,
	sandboxConfig *runtimeapi.PodSandboxConfig, creds []*runtimeapi.AuthConfig) (string, error) {
	ref, err, _ := k.pulls.Do(pullGroup(pod, p.image), func() (any, error) {
		if p.policy != v1.PullAlways {
			if ref, err := k.imagePresent(ctx, spec); err != nil || ref != "" {
				return ref, err
			}
		}
		return k.pullWith(ctx, spec, sandboxConfig, creds)
	})
	s, _ := ref.(string)
	// A runtime that answers a pull without the ref leaves the name to
	// serve as one.
	return cmp.Or(s, p.image), err
}

// imagePresent returns the image's ref (its ID) when the runtime has it,
// else "".
func (k *Kubelet) imagePresent(ctx context.Context, spec *runtimeapi.ImageSpec) (string, error) {
	resp, err := k.cfg.Images.ImageStatus(ctx, spec, false)
	if err != nil {
		return "", fmt.Errorf("checking image %s: %w", spec.Image, err)
	}
	if resp.GetImage() == nil {
		return "", nil
	}
	// An image the runtime reports without an ID is still there: its
	// name serves as its ref.
	return cmp.Or(resp.GetImage().GetId(), spec.Image), nil
}

// pullKey identifies one pod's pull back-off for one image.
func pullKey(pod *v1.Pod, image string) string {
	return "pull/" + string(pod.UID) + "/" + image
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
