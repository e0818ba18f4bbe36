//go:build !linux

package kubelet

import "errors"

// Sub-path bind mounts need Linux (openat with O_PATH, open_tree, mount);
// elsewhere a subPath mount fails with this error instead of being mounted
// unsafely.
var errSubPathNeedsLinux = errors.New("subPath mounts need Linux")

type openedPath struct {
	fd    int
	isDir bool
}

func (p *openedPath) Close() error { return nil }

func openInVolume(string, []string) (*openedPath, error) { return nil, errSubPathNeedsLinux }

func openExistingInVolume(string, []string) (*openedPath, error) { return nil, errSubPathNeedsLinux }

func bindOpened(*openedPath, string) error { return errSubPathNeedsLinux }

func unmountAll(string) error { return nil }
