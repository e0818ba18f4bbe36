package staticpods

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxManifestSize bounds what one manifest may hold, so a stray large file
// in the directory cannot make the agent read gigabytes on every change.
const maxManifestSize = 10 << 20

// isManifestName reports whether a file in the manifest directory is read:
// YAML or JSON files, but not hidden files or the backups, swap and temp
// files editors leave next to them.
func isManifestName(name string) bool {
	switch {
	case name == "", strings.HasPrefix(name, "."), strings.HasSuffix(name, "~"),
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#"),
		strings.HasSuffix(name, ".swp"), strings.HasSuffix(name, ".tmp"):
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// errNotManifest says a path holds no manifest: it is gone or is a
// directory. Its pods, if any, should go.
var errNotManifest = errors.New("no manifest at this path")

// readManifest reads a manifest file, following a symlink only to a regular
// file and refusing files over maxManifestSize. It returns errNotManifest
// when there is nothing to read, and otherwise an error meant for people.
func readManifest(path string) ([]byte, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotManifest
	}
	if err != nil {
		return nil, fmt.Errorf("cannot inspect the file: %w", unwrapPathError(err))
	}
	switch {
	case info.IsDir():
		return nil, errNotManifest // subdirectories are not read
	case info.Mode()&fs.ModeSymlink != 0:
		if err := checkSymlinkTarget(path); err != nil {
			return nil, err
		}
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("is not a regular file (it is a %s); only regular files and symlinks to them are read",
			fileKind(info.Mode()))
	}
	return readRegularFile(path)
}

func checkSymlinkTarget(path string) error {
	target, _ := os.Readlink(path)
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("is a symlink to %s, which does not exist", target)
	case err != nil:
		return fmt.Errorf("is a symlink to %s, which cannot be inspected: %w", target, unwrapPathError(err))
	case !info.Mode().IsRegular():
		return fmt.Errorf("is a symlink to %s, which is a %s (only symlinks to regular files are read)",
			target, fileKind(info.Mode()))
	}
	return nil
}

// readRegularFile opens without blocking, so a file swapped for a FIFO
// between the checks and the open cannot hang the watcher, then re-checks
// type and size on the opened file.
func readRegularFile(path string) ([]byte, error) {
	file, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNotManifest
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the file: %w", unwrapPathError(err))
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot inspect the file: %w", unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("is not a regular file (it is a %s); only regular files and symlinks to them are read",
			fileKind(info.Mode()))
	}
	if info.Size() > maxManifestSize {
		return nil, tooLarge(info.Size())
	}
	// The file may grow while we read; never take more than the limit.
	data, err := io.ReadAll(io.LimitReader(file, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %w", unwrapPathError(err))
	}
	if len(data) > maxManifestSize {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

func tooLarge(size int64) error {
	return fmt.Errorf("is %d bytes, over the 10 MiB (%d bytes) limit for a manifest (split it into several files)",
		size, maxManifestSize)
}

// unwrapPathError drops the path from an os error: messages already start
// with the file name.
func unwrapPathError(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}

func fileKind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "directory"
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe"
	case mode&fs.ModeSocket != 0:
		return "socket"
	case mode&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
