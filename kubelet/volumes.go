package kubelet

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
	"github.com/minikubelet/minikubelet/kubelet/volume"
)

// volumeMounts sets up the host side of each of the container's volume
// mounts and returns them in the runtime's terms. env looks up the
// container's resolved env, for subPathExpr; images are the pulled images
// of its image volumes, which have no host side (imagevolumes.go).
func (k *Kubelet) volumeMounts(ctx context.Context, pod *v1.Pod, c *v1.Container, env func(string) (string, bool),
	images map[string]*runtimeapi.ImageSpec) ([]*runtimeapi.Mount, error) {
	volumes := make(map[string]*v1.Volume, len(pod.Spec.Volumes))
	for i := range pod.Spec.Volumes {
		volumes[pod.Spec.Volumes[i].Name] = &pod.Spec.Volumes[i]
	}
	var mounts []*runtimeapi.Mount
	for i := range c.VolumeMounts {
		m := &c.VolumeMounts[i]
		vol, ok := volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("container %s volumeMounts[%d]: no volume named %q in spec.volumes", c.Name, i, m.Name)
		}
		if vol.Image != nil {
			mount, err := imageVolumeMount(pod, c, i, images, env)
			if err != nil {
				return nil, err
			}
			mounts = append(mounts, mount)
			continue
		}
		hostPath, err := k.prepareVolume(ctx, pod, vol)
		if err != nil {
			return nil, fmt.Errorf("container %s volumeMounts[%d] (%s): %w", c.Name, i, m.Name, err)
		}
		if hostPath, err = k.subPathHostPath(pod, c.Name, i, m, hostPath, env); err != nil {
			return nil, err
		}
		if volume.AlwaysReadOnly(&vol.VolumeSource) {
			readOnly := *m
			readOnly.ReadOnly = true
			m = &readOnly
		}
		mounts = append(mounts, translate.Mount(m, hostPath))
	}
	return mounts, nil
}

// subPathHostPath returns what the runtime mounts for m: the volume itself,
// or, for a subPath or subPathExpr, an agent-owned bind mount of the
// sub-path, opened without following symlinks (see subpath.go).
func (k *Kubelet) subPathHostPath(pod *v1.Pod, container string, index int, m *v1.VolumeMount, volumePath string, env func(string) (string, bool)) (string, error) {
	subPath, field, err := translate.SubPath(m, env)
	if err == nil && subPath == "" {
		return volumePath, nil
	}
	var components []string
	if err == nil {
		components, err = translate.SubPathComponents(subPath)
	}
	if err != nil {
		return "", fmt.Errorf("%s.%s: %w", translate.VolumeMountField(pod, container, index), field, err)
	}
	if len(components) == 0 {
		return volumePath, nil
	}
	target := subPathTarget(k.podDir(pod.UID), m.Name, container, index)
	root, open := volumePath, openInVolume
	if source := volumeSource(pod, m.Name); source != nil && volume.AlwaysReadOnly(source) {
		// The agent's own atomic-writer volume: its top-level names are
		// links into ..data, so the sub-path is opened in the version
		// "..data" names now, and nothing is created in it. As under the
		// kubelet, the container keeps that version's file: a subPath
		// mount sees no later update.
		version, err := volume.CurrentVersion(volumePath)
		if err != nil {
			return "", fmt.Errorf("%s.%s: %w", translate.VolumeMountField(pod, container, index), field, err)
		}
		root, open = version, openExistingInVolume
	}
	if err := bindSubPathWith(open, root, components, target); err != nil {
		return "", fmt.Errorf("%s.%s: mounting %q of volume %q: %w", translate.VolumeMountField(pod, container, index), field, subPath, m.Name, err)
	}
	return target, nil
}

// volumeSource is the source of the pod's volume named name, or nil.
func volumeSource(pod *v1.Pod, name string) *v1.VolumeSource {
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == name {
			return &pod.Spec.Volumes[i].VolumeSource
		}
	}
	return nil
}

// prepareVolume sets up the volume's host side through its type and
// returns what the runtime mounts.
func (k *Kubelet) prepareVolume(ctx context.Context, pod *v1.Pod, vol *v1.Volume) (string, error) {
	t := volume.For(&vol.VolumeSource)
	if t == nil {
		return "", fmt.Errorf("volume %q: its type is not supported", vol.Name)
	}
	return t.SetUp(ctx, pod, vol, volume.Host{PodDir: k.podDir(pod.UID), Objects: k.cfg.PodObjects, Allocatable: k.cfg.Allocatable})
}
