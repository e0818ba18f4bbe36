//go:build linux

package volume

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
	"k8s.io/apimachinery/pkg/api/resource"
)

// mountMemory mounts a tmpfs on dir unless one is there already (SetUp
// runs at every container start). Without a size limit the kernel's
// default applies, half of the node's memory, as under the kubelet when
// the pod has no memory limit; the pages count against the pod's cgroup.
func mountMemory(dir string, sizeLimit *resource.Quantity) error {
	mounted, err := isMountPoint(dir)
	if err != nil || mounted {
		return err
	}
	// A tmpfs's own default, as under the kubelet, which passes no mode:
	// world-writable and sticky, so users cannot remove others' files.
	options := "mode=1777"
	if sizeLimit != nil && sizeLimit.Sign() > 0 {
		options += fmt.Sprintf(",size=%d", sizeLimit.Value())
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, options); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", dir, err)
	}
	return nil
}

// unmountIfMounted takes down what is mounted on dir, if anything.
func unmountIfMounted(dir string) error {
	mounted, err := isMountPoint(dir)
	if err != nil || !mounted {
		return err
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unmounting %s: %w", dir, err)
	}
	return nil
}

// isMountPoint reports whether something is mounted on dir: a directory
// on another device than its parent. Neither is followed if a link.
func isMountPoint(dir string) (bool, error) {
	var self, parent unix.Stat_t
	if err := unix.Lstat(dir, &self); err != nil {
		return false, fmt.Errorf("inspecting %s: %w", dir, err)
	}
	if err := unix.Lstat(filepath.Dir(dir), &parent); err != nil {
		return false, fmt.Errorf("inspecting %s: %w", filepath.Dir(dir), err)
	}
	return self.Dev != parent.Dev, nil
}
