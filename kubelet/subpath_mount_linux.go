//go:build linux

package kubelet

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// The only two mount-table changes the agent makes itself: a bind mount of
// an opened sub-path, and its removal.

// bindOpened bind-mounts what p refers to onto target, an existing
// agent-owned directory (for a directory) or file (for anything else). It
// clones the mount from the descriptor (open_tree + move_mount), never
// from a path a container could redirect; on kernels before 5.2 it binds
// the descriptor's /proc/self/fd link, which resolves to the same file.
func bindOpened(p *openedPath, target string) error {
	tree, err := unix.OpenTree(p.fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM) {
		source := "/proc/self/fd/" + strconv.Itoa(p.fd)
		if err := unix.Mount(source, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting %s on %s: %w", source, target, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("cloning the opened sub-path for %s: %w", target, err)
	}
	defer unix.Close(tree)
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mounting the opened sub-path on %s: %w", target, err)
	}
	return nil
}

// maxStackedMounts bounds unmountAll: the agent mounts once per target, so
// more than a few stacked mounts means something else keeps mounting there.
const maxStackedMounts = 16

// unmountAll takes every mount off target (normally one, or none). It
// detaches lazily: containers hold their own copies of the mount, and a
// host process still inside it must not keep the pod from being removed.
// A target that is not mounted, or does not exist, is fine.
func unmountAll(target string) error {
	for range maxStackedMounts {
		err := unix.Unmount(target, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil
		default:
			return fmt.Errorf("unmounting %s: %w", target, err)
		}
	}
	return fmt.Errorf("unmounting %s: still mounted after %d unmounts", target, maxStackedMounts)
}
