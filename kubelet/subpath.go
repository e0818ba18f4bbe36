package kubelet

import (
	"path/filepath"
	"strconv"
)

// A subPath mount is never handed to the runtime as <volume>/<subPath>: a
// container that can write the volume could have made a component of that
// path a symlink to anywhere on the host, and the runtime would follow it.
// The agent instead opens the sub-path itself, component by component and
// without following symlinks (subpath_bind.go), and bind-mounts what it
// opened onto a path it owns, under the pod directory, which is what the
// runtime gets. Which sub-path a mount asks for, and whether its spelling
// stays inside the volume, is the translation's (translate.SubPath,
// translate.SubPathComponents).

// subPathsDirName is the pod directory's child holding subPath bind
// mounts, laid out as the kubelet's: <volume>/<container>/<mount index>.
const subPathsDirName = "volume-subpaths"

// subPathTarget is where the bind mount of a container's volumeMounts[index]
// lives. Volume and container names are DNS labels (validated with the
// manifest), so they are safe as path components.
func subPathTarget(podDir, volume, container string, index int) string {
	return filepath.Join(podDir, subPathsDirName, volume, container, strconv.Itoa(index))
}
