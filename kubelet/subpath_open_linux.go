//go:build linux

package kubelet

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// openedPath is an O_PATH descriptor of a file or directory inside a
// volume, reached without following any symlink below the volume root.
// Mounting the descriptor rather than a path means that a symlink swapped
// in after the walk changes nothing.
type openedPath struct {
	fd    int
	isDir bool
}

func (p *openedPath) Close() error { return unix.Close(p.fd) }

// openInVolume opens root/components... The root itself is trusted: it is
// the agent's own emptyDir or the hostPath the manifest names, and may be
// reached through symlinks. Below it, each component is opened relative to
// its parent's descriptor with O_NOFOLLOW and refused if it is a symlink,
// so nothing a container planted can lead outside the volume. Missing
// components are created as directories with the root's mode, as the
// kubelet does, and then opened the same way. The last component may be a
// directory or a file; every other one must be a directory.
func openInVolume(root string, components []string) (*openedPath, error) {
	return openIn(root, components, true)
}

// openExistingInVolume is openInVolume that creates nothing: for the
// volumes the agent writes (a ConfigMap's files), where a directory made
// for a missing key would stand in the way of the key's file later.
func openExistingInVolume(root string, components []string) (*openedPath, error) {
	return openIn(root, components, false)
}

func openIn(root string, components []string, create bool) (*openedPath, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening volume root %s: %w", root, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("inspecting volume root %s: %w", root, err)
	}
	dirMode := st.Mode & 0o7777
	walked := ""
	for i, name := range components {
		walked = path.Join(walked, name)
		child, err := openChild(fd, name, dirMode, create)
		unix.Close(fd)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", walked, err)
		}
		fd = child
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("inspecting %q: %w", walked, err)
		}
		kind := st.Mode & unix.S_IFMT
		switch {
		case kind == unix.S_IFLNK:
			unix.Close(fd)
			return nil, fmt.Errorf("%q is a symbolic link; a sub-path must not pass through symlinks, "+
				"since a container could point them at host files: make it a directory or file inside the volume", walked)
		case kind != unix.S_IFDIR && i < len(components)-1:
			unix.Close(fd)
			return nil, fmt.Errorf("%q is not a directory, so the sub-path cannot go through it", walked)
		}
	}
	return &openedPath{fd: fd, isDir: st.Mode&unix.S_IFMT == unix.S_IFDIR}, nil
}

// openChild opens name below parent without following it, creating it as
// a directory of mode dirMode when it does not exist.
func openChild(parent int, name string, dirMode uint32, create bool) (int, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return -1, fmt.Errorf("%q is not a plain file name", name)
	}
	const flags = unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, name, flags, 0)
	if !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	if !create {
		return -1, errors.New("no such file in the volume")
	}
	err = unix.Mkdirat(parent, name, dirMode&0o777)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("creating directory: %w", err)
	}
	created := err == nil
	if fd, err = unix.Openat(parent, name, flags, 0); err != nil {
		return -1, err
	}
	if created {
		// mkdirat is subject to the umask and cannot set setgid; the
		// container must get the mode the volume root has.
		if err := chmodDirFD(fd, dirMode); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

// chmodDirFD sets the mode of the directory fd refers to. An O_PATH
// descriptor cannot be fchmod'ed, so it is reopened through "." (which
// fails, harmlessly, if a container swapped the new directory for
// something else, and follows no symlink).
func chmodDirFD(fd int, mode uint32) error {
	dir, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("opening the new directory to set its mode: %w", err)
	}
	defer unix.Close(dir)
	if err := unix.Fchmod(dir, mode); err != nil {
		return fmt.Errorf("setting the new directory's mode to %o: %w", mode, err)
	}
	return nil
}
