package kubelet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// bindSubPath makes target show volumeRoot/components..., reached without
// following any symlink below volumeRoot (see openInVolume). A mount left
// on target by an earlier instance of the container is taken down first,
// so every start resolves the sub-path afresh.
func bindSubPath(volumeRoot string, components []string, target string) error {
	return bindSubPathWith(openInVolume, volumeRoot, components, target)
}

// bindSubPathWith is bindSubPath opening the sub-path with open.
func bindSubPathWith(open func(string, []string) (*openedPath, error), volumeRoot string, components []string, target string) error {
	opened, err := open(volumeRoot, components)
	if err != nil {
		return err
	}
	defer opened.Close()
	if err := removeSubPathTarget(target); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return fmt.Errorf("creating the directory for subPath mount %s: %w", target, err)
	}
	if err := createMountPoint(target, opened.isDir); err != nil {
		return err
	}
	if err := bindOpened(opened, target); err != nil {
		_ = os.Remove(target)
		return err
	}
	return nil
}

// createMountPoint creates the empty directory or file a bind mount goes on;
// the two must be of the same kind.
func createMountPoint(target string, dir bool) error {
	if dir {
		if err := os.Mkdir(target, 0o750); err != nil {
			return fmt.Errorf("creating subPath mount point %s: %w", target, err)
		}
		return nil
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("creating subPath mount point %s: %w", target, err)
	}
	return f.Close()
}

// removeSubPathTarget unmounts target and removes the empty mount point.
func removeSubPathTarget(target string) error {
	if err := unmountAll(target); err != nil {
		return err
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing subPath mount point %s: %w", target, err)
	}
	return nil
}

// removeSubPathMounts takes down every subPath bind mount of a pod and
// removes <podDir>/volume-subpaths. It removes only mount points and the
// directories holding them, one empty entry at a time (never RemoveAll),
// so a mount it failed to take down stops it with an error instead of the
// volume's content, or a hostPath's, being deleted through the mount.
func removeSubPathMounts(podDir string) error {
	base := filepath.Join(podDir, subPathsDirName)
	// Layout: <base>/<volume>/<container>/<mount index>, the last the mount.
	return removeSubPathLevel(base, 3)
}

func removeSubPathLevel(dir string, depth int) error {
	if depth == 0 {
		return removeSubPathTarget(dir)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		return removeSubPathTarget(dir) // a stray file where a directory belongs
	case err != nil:
		return fmt.Errorf("listing subPath mounts in %s: %w", dir, err)
	}
	for _, entry := range entries {
		if err := removeSubPathLevel(filepath.Join(dir, entry.Name()), depth-1); err != nil {
			return err
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}
