package kubelet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// emptyDirPath is where an emptyDir volume lives; every container of the
// pod that mounts it sees the same directory, which is how containers of a
// pod share files.
func (k *Kubelet) emptyDirPath(pod *v1.Pod, volume string) string {
	return filepath.Join(k.podDir(pod.UID), "volumes", "kubernetes.io~empty-dir", volume)
}

// containerMounts prepares the host side of each volume mount and returns
// the runtime mounts, plus the managed /etc/hosts.
func (k *Kubelet) containerMounts(pod *v1.Pod, c *v1.Container) ([]*runtimeapi.Mount, error) {
	volumes := make(map[string]*v1.Volume, len(pod.Spec.Volumes))
	for i := range pod.Spec.Volumes {
		volumes[pod.Spec.Volumes[i].Name] = &pod.Spec.Volumes[i]
	}
	var mounts []*runtimeapi.Mount
	for i, m := range c.VolumeMounts {
		vol, ok := volumes[m.Name]
		if !ok {
			return nil, fmt.Errorf("container %s volumeMounts[%d]: no volume named %q in spec.volumes", c.Name, i, m.Name)
		}
		hostPath, err := k.prepareVolume(pod, vol)
		if err != nil {
			return nil, fmt.Errorf("container %s volumeMounts[%d] (%s): %w", c.Name, i, m.Name, err)
		}
		if m.SubPath != "" {
			if filepath.IsAbs(m.SubPath) || strings.Contains(m.SubPath, "..") {
				return nil, fmt.Errorf("container %s volumeMounts[%d].subPath %q must be a relative path inside the volume", c.Name, i, m.SubPath)
			}
			hostPath = filepath.Join(hostPath, m.SubPath)
			if err := os.MkdirAll(hostPath, 0o777); err != nil {
				return nil, fmt.Errorf("creating subPath %s: %w", hostPath, err)
			}
		}
		mounts = append(mounts, &runtimeapi.Mount{
			ContainerPath: m.MountPath, HostPath: hostPath, Readonly: m.ReadOnly,
			Propagation: propagationOf(m.MountPropagation),
		})
	}
	if !mountsPath(c, "/etc/hosts") {
		if _, err := os.Stat(k.etcHostsPath(pod)); err == nil {
			mounts = append(mounts, &runtimeapi.Mount{ContainerPath: "/etc/hosts", HostPath: k.etcHostsPath(pod)})
		}
	}
	return mounts, nil
}

// applyFSGroup makes an emptyDir world-writable like the kubelet's, or,
// with a pod fsGroup, owned by that group with the setgid bit so files
// created in it belong to the group too.
func applyFSGroup(pod *v1.Pod, dir string) error {
	mode := os.FileMode(0o777)
	if sc := pod.Spec.SecurityContext; sc != nil && sc.FSGroup != nil {
		if err := os.Chown(dir, -1, int(*sc.FSGroup)); err != nil {
			return fmt.Errorf("giving emptyDir %s to fsGroup %d: %w", dir, *sc.FSGroup, err)
		}
		mode = 0o775 | os.ModeSetgid
	}
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("setting the mode of emptyDir %s: %w", dir, err)
	}
	return nil
}

func mountsPath(c *v1.Container, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return true
		}
	}
	return false
}

// prepareVolume makes sure the volume's host directory exists as its type
// requires and returns it.
func (k *Kubelet) prepareVolume(pod *v1.Pod, vol *v1.Volume) (string, error) {
	switch {
	case vol.EmptyDir != nil:
		dir := k.emptyDirPath(pod, vol.Name)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return "", fmt.Errorf("creating emptyDir %s: %w", dir, err)
		}
		return dir, applyFSGroup(pod, dir)
	case vol.HostPath != nil:
		return vol.HostPath.Path, checkHostPath(vol.HostPath)
	default:
		return "", fmt.Errorf("volume %q: only emptyDir and hostPath volumes are supported", vol.Name)
	}
}

// checkHostPath applies hostPath's type: create what *OrCreate asks for,
// and refuse a path that is not what the type says.
func checkHostPath(hp *v1.HostPathVolumeSource) error {
	kind := v1.HostPathUnset
	if hp.Type != nil {
		kind = *hp.Type
	}
	info, err := os.Stat(hp.Path)
	missing := errors.Is(err, os.ErrNotExist)
	if err != nil && !missing {
		return fmt.Errorf("hostPath %s: %w", hp.Path, err)
	}
	switch kind {
	case v1.HostPathUnset:
		return nil
	case v1.HostPathDirectoryOrCreate:
		if missing {
			return os.MkdirAll(hp.Path, 0o755)
		}
		return expectType(hp.Path, info.IsDir(), "a directory")
	case v1.HostPathFileOrCreate:
		if missing {
			if err := os.MkdirAll(filepath.Dir(hp.Path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(hp.Path, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		}
		return expectType(hp.Path, info.Mode().IsRegular(), "a file")
	}
	if missing {
		return fmt.Errorf("hostPath %s does not exist (type %s requires it); create it or use type DirectoryOrCreate/FileOrCreate", hp.Path, kind)
	}
	switch kind {
	case v1.HostPathDirectory:
		return expectType(hp.Path, info.IsDir(), "a directory")
	case v1.HostPathFile:
		return expectType(hp.Path, info.Mode().IsRegular(), "a file")
	case v1.HostPathSocket:
		return expectType(hp.Path, info.Mode()&os.ModeSocket != 0, "a socket")
	case v1.HostPathCharDev:
		return expectType(hp.Path, info.Mode()&os.ModeCharDevice != 0, "a character device")
	case v1.HostPathBlockDev:
		return expectType(hp.Path, info.Mode()&os.ModeDevice != 0 && info.Mode()&os.ModeCharDevice == 0, "a block device")
	}
	return nil
}

func expectType(path string, ok bool, what string) error {
	if !ok {
		return fmt.Errorf("hostPath %s is not %s", path, what)
	}
	return nil
}

func propagationOf(p *v1.MountPropagationMode) runtimeapi.MountPropagation {
	if p == nil {
		return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
	}
	switch *p {
	case v1.MountPropagationHostToContainer:
		return runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
	case v1.MountPropagationBidirectional:
		return runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
	default:
		return runtimeapi.MountPropagation_PROPAGATION_PRIVATE
	}
}
