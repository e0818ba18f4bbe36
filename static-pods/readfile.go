package staticpods

import (
	"bytes"
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

// leaseForRead is holdReadLease; tests replace it to stand for a system
// that cannot tell whether a file is being written.
var leaseForRead = holdReadLease

// errNotManifest says a path holds no manifest: it is gone or is a
// directory. Its pods, if any, should go.
var errNotManifest = errors.New("no manifest at this path")

// readManifest reads a manifest file, following a symlink only to a regular
// file and refusing files over maxManifestSize. It returns errNotManifest
// when there is nothing to read, and otherwise an error meant for people.
func readManifest(path string) ([]byte, error) {
	data, _, err := readManifestUnlessWritten(path, false)
	return data, err
}

// readManifestUnlessWritten is readManifest that also says whether anyone
// had the file open for writing. With waitForWriters, a file open for
// writing is not read: it comes back as writersPresent with no data.
func readManifestUnlessWritten(path string, waitForWriters bool) ([]byte, writerStatus, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, writersUnknown, errNotManifest
	}
	if err != nil {
		return nil, writersUnknown, fmt.Errorf("cannot inspect the file: %w", unwrapPathError(err))
	}
	switch {
	case info.IsDir():
		return nil, writersUnknown, errNotManifest // subdirectories are not read
	case info.Mode()&fs.ModeSymlink != 0:
		if err := checkSymlinkTarget(path); err != nil {
			return nil, writersUnknown, err
		}
		target, _ := os.Readlink(path)
		return readRegularFile(path, "is a symlink to "+target+", a file", waitForWriters)
	case !info.Mode().IsRegular():
		return nil, writersUnknown, fmt.Errorf("is not a regular file (it is a %s); only regular files and symlinks to them are read",
			fileKind(info.Mode()))
	}
	return readRegularFile(path, "is a file", waitForWriters)
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

// ReadManifestFile reads a manifest file under the source's rules: only a
// regular file on disk, or a symlink to one, of at most 10 MiB. The API
// reads existing manifests with it. A path that is gone or a directory
// gives an error wrapping fs.ErrNotExist; other errors are sentences for
// people that follow the file name.
func ReadManifestFile(path string) ([]byte, error) {
	data, err := readManifest(path)
	if errors.Is(err, errNotManifest) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return data, err
}

// readRegularFile opens without blocking, so a file swapped for a FIFO
// between the checks and the open cannot hang the watcher, nor a terminal
// become the agent's, then re-checks type, file system and size on the
// opened file. It reads under a read lease where it can get one (see
// holdReadLease), so no writer changes the file while it is read.
// isAFile starts the sentence that says where the file is.
func readRegularFile(path, isAFile string, waitForWriters bool) ([]byte, writerStatus, error) {
	file, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, writersUnknown, errNotManifest
	}
	if err != nil {
		return nil, writersUnknown, fmt.Errorf("cannot open the file: %w", unwrapPathError(err))
	}
	defer file.Close() // also ends the lease
	info, err := file.Stat()
	if err != nil {
		return nil, writersUnknown, fmt.Errorf("cannot inspect the file: %w", unwrapPathError(err))
	}
	if !info.Mode().IsRegular() {
		return nil, writersUnknown, fmt.Errorf("is not a regular file (it is a %s); only regular files and symlinks to them are read",
			fileKind(info.Mode()))
	}
	switch pseudo, err := pseudoFileSystem(file); {
	case err != nil:
		return nil, writersUnknown, err
	case pseudo != "":
		return nil, writersUnknown, fmt.Errorf("%s of %s, a kernel pseudo-file system, not a manifest on disk; "+
			"only regular files on disk and symlinks to them are read", isAFile, pseudo)
	}
	writers := leaseForRead(file)
	if writers == writersPresent && waitForWriters {
		return nil, writers, nil
	}
	if info.Size() > maxManifestSize {
		return nil, writers, tooLarge(info.Size())
	}
	// One buffer of the file's size: io.ReadAll would grow one by doubling
	// and leave twice the file in garbage. The file may grow while we
	// read; never take more than the limit.
	var buf bytes.Buffer
	buf.Grow(int(info.Size()) + bytes.MinRead)
	_, err = buf.ReadFrom(io.LimitReader(file, maxManifestSize+1))
	data := buf.Bytes()
	if err != nil {
		return nil, writers, fmt.Errorf("cannot read the file: %w", unwrapPathError(err))
	}
	if len(data) > maxManifestSize {
		return nil, writers, tooLarge(int64(len(data)))
	}
	return data, writers, nil
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
