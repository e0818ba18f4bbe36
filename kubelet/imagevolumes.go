package kubelet

import (
	"context"
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
	"github.com/minikubelet/minikubelet/kubelet/volume"
)

// Image volumes (volumes[].image): before a container starts, the image of
// each image volume it mounts is pulled like its own image (images.go),
// and each mount of one becomes a CRI Mount that names the image
// (translate.ImageMount); the runtime mounts the image read-only. A
// runtime too old to know that field would start the container without
// the volume's files, so such a container is not started.

// imageVolumesOf are the pod's image volumes that c mounts, each once, in
// the pod's order.
func imageVolumesOf(pod *v1.Pod, c *v1.Container) []*v1.Volume {
	var out []*v1.Volume
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		if vol.Image == nil {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == vol.Name {
				out = append(out, vol)
				break
			}
		}
	}
	return out
}

// pullVolumeImages pulls the images of the image volumes c mounts and
// returns them by volume name, for its mounts. On failure it returns when
// to try again: at the end of the failed image's pull back-off, or the
// container's start back-off for a runtime that cannot mount images.
func (k *Kubelet) pullVolumeImages(ctx context.Context, pod *v1.Pod, c *v1.Container, startKey string,
	sandboxConfig *runtimeapi.PodSandboxConfig) (map[string]*runtimeapi.ImageSpec, time.Duration, error) {
	volumes := imageVolumesOf(pod, c)
	if len(volumes) == 0 {
		return nil, 0, nil
	}
	if err := volume.RuntimeMountsImages(k.cfg.RuntimeName, k.cfg.RuntimeVersion); err != nil {
		names := make([]string, len(volumes))
		for i, vol := range volumes {
			names[i] = fmt.Sprintf("%q", vol.Name)
		}
		err = fmt.Errorf("image volume %s: %w", strings.Join(names, ", "), err)
		k.failContainer(pod, c.Name, ReasonCreateConfig, err)
		return nil, k.startRetry.Next(startKey), err
	}
	images := make(map[string]*runtimeapi.ImageSpec, len(volumes))
	for _, vol := range volumes {
		pull := imagePull{image: vol.Image.Reference, policy: vol.Image.PullPolicy, volume: vol.Name}
		ref, err := k.ensurePulled(ctx, pod, c.Name, pull, sandboxConfig)
		if err != nil {
			return nil, max(k.pullBackoff.Remaining(pullKey(pod, pull.image)), 100*time.Millisecond), err
		}
		images[vol.Name] = translate.VolumeImage(vol.Image, ref)
	}
	return images, 0, nil
}

// imageVolumeMount is the CRI mount of the container's index-th volume
// mount, of an image volume: the pulled image, at the mount's sub-path
// inside it, checked as a host sub-path is (relative, without "..").
func imageVolumeMount(pod *v1.Pod, c *v1.Container, index int, images map[string]*runtimeapi.ImageSpec,
	env func(string) (string, bool)) (*runtimeapi.Mount, error) {
	m := &c.VolumeMounts[index]
	image := images[m.Name]
	if image == nil {
		// The pull step fills images for every image volume the
		// container mounts; without it there is nothing to mount.
		return nil, fmt.Errorf("%s: the image of volume %q was not pulled", translate.VolumeMountField(pod, c.Name, index), m.Name)
	}
	subPath, field, err := translate.SubPath(m, env)
	var components []string
	if err == nil {
		components, err = translate.SubPathComponents(subPath)
	}
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", translate.VolumeMountField(pod, c.Name, index), field, err)
	}
	return translate.ImageMount(m, image, strings.Join(components, "/")), nil
}
