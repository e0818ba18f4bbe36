package logs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// The runtime opens a container's log file as root and follows links, in
// a directory the container may be able to write (a hostPath mount of its
// pod's log directory). These functions make the path sound before the
// agent hands it to the runtime, so the output lands in the pod's own
// directory. A container can still race the runtime's open; only the
// runtime can close that.

// PreparePodLogDir creates a pod's log directory, <root>/<pod>, below the
// pod log root, which must exist. It returns the paths of links or files
// it replaced.
func PreparePodLogDir(podDir string) (replaced []string, err error) {
	fd, replaced, err := openBelowRoot(podDir, 1, true)
	if err != nil {
		return replaced, fmt.Errorf("creating pod log directory: %w", err)
	}
	(&dirHandle{fd: fd}).close()
	return replaced, nil
}

// PrepareContainerLog readies <root>/<pod>/<container>/<n>.log: both
// directories are made real directories, and a link or special file at
// the log file's name is removed. It returns the paths of what it
// replaced or removed.
func PrepareContainerLog(path string) (replaced []string, err error) {
	fd, replaced, err := openBelowRoot(filepath.Dir(path), podLogDepth, true)
	if err != nil {
		return replaced, fmt.Errorf("creating container log directory: %w", err)
	}
	dir := &dirHandle{fd: fd, path: filepath.Dir(path)}
	defer dir.close()
	name := filepath.Base(path)
	st, err := dir.stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && st.regular:
		return replaced, nil
	case err != nil:
		return replaced, fmt.Errorf("inspecting container log: %w", err)
	}
	if err := dir.remove(name); err != nil {
		return replaced, fmt.Errorf("removing what is in place of the container log: %w", err)
	}
	return append(replaced, path), nil
}
