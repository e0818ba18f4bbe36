package logs

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// errNotRegular marks a log directory entry the agent does not read: a
// link, FIFO, device or directory where a log file should be. Only a
// container writing its log directory through a hostPath mount puts one
// there.
var errNotRegular = errors.New("not a regular file (a link or special file planted in the log directory?)")

const (
	// podLogDepth is how far below the pod log root (/var/log/pods, the
	// host's) a container log directory lies: <pod>/<container>. A
	// container can write both levels, so both are opened without
	// following links.
	podLogDepth = 2
	// maxDirEntries bounds how many names of one log's files a listing
	// keeps; the rotator keeps a handful, so more means a container
	// filled the directory.
	maxDirEntries = 4096
)

// dirHandle is an open container log directory. Every file operation names
// its entry relative to the directory's descriptor and never follows a
// link, so a link planted there is renamed or removed as itself and never
// read or written through.
type dirHandle struct {
	fd   int
	path string // for messages
}

// openLogDir opens the container log directory dir, laid out as
// <root>/<pod>/<container>: the root is opened as the host names it, the
// two directories below it without following links, so a container that
// swapped one for a link to a host directory gets an error instead.
func openLogDir(dir string) (*dirHandle, error) {
	fd, _, err := openBelowRoot(dir, podLogDepth, false)
	if err != nil {
		return nil, err
	}
	return &dirHandle{fd: fd, path: filepath.Clean(dir)}, nil
}

// openBelowRoot opens dir, whose last depth components are opened one by
// one relative to their parent, refusing links. With create they are made
// directories first, replacing what is in their place; replaced lists
// those paths.
func openBelowRoot(dir string, depth int, create bool) (fd int, replaced []string, err error) {
	root, names := filepath.Clean(dir), make([]string, depth)
	for i := depth - 1; i >= 0; i-- {
		root, names[i] = filepath.Dir(root), filepath.Base(root)
		if names[i] == "/" || names[i] == "." || names[i] == ".." {
			return -1, nil, fmt.Errorf("log directory %s is not <pod log root>/<pod>/<container>", dir)
		}
	}
	fd, err = unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, nil, &fs.PathError{Op: "open", Path: root, Err: err}
	}
	for _, name := range names {
		parent := dirHandle{fd: fd, path: root}
		if create {
			var wasReplaced bool
			if wasReplaced, err = parent.mkdir(name); wasReplaced {
				replaced = append(replaced, parent.name(name))
			}
		}
		if err == nil {
			fd, err = unix.Openat(parent.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		}
		unix.Close(parent.fd)
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			err = errors.New("not a directory (a link planted in the log directory?)")
		}
		if err != nil {
			return -1, replaced, &fs.PathError{Op: "open", Path: parent.name(name), Err: err}
		}
		root = parent.name(name)
	}
	return fd, replaced, nil
}

// mkdir makes name a directory, replacing a link or file in its place.
func (d *dirHandle) mkdir(name string) (replaced bool, err error) {
	err = unix.Mkdirat(d.fd, name, 0o755)
	if !errors.Is(err, unix.EEXIST) {
		return false, err
	}
	if st, err := d.stat(name); err != nil || st.dir {
		return false, err
	}
	if err := d.remove(name); err != nil {
		return false, err
	}
	return true, unix.Mkdirat(d.fd, name, 0o755)
}

func (d *dirHandle) close() { unix.Close(d.fd) }

// name returns the path of an entry, for messages.
func (d *dirHandle) name(entry string) string { return filepath.Join(d.path, entry) }

func (d *dirHandle) pathError(op, entry string, err error) error {
	return &fs.PathError{Op: op, Path: d.name(entry), Err: err}
}

// open opens a regular file for reading. It checks the entry before
// opening so a FIFO or device is never opened, and again after, in case
// the entry was swapped in between.
func (d *dirHandle) open(entry string) (*os.File, error) {
	if st, err := d.stat(entry); err != nil || !st.regular {
		return nil, cmp.Or(err, d.pathError("open", entry, errNotRegular))
	}
	fd, err := unix.Openat(d.fd, entry, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ELOOP) {
		err = errNotRegular
	}
	if err != nil {
		return nil, d.pathError("open", entry, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, d.pathError("open", entry, cmp.Or(err, errNotRegular))
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, d.pathError("open", entry, err)
	}
	return os.NewFile(uintptr(fd), d.name(entry)), nil
}

// create makes a new file for writing. It fails if the entry exists in
// any form, a dangling link included, so nothing planted is written
// through.
func (d *dirHandle) create(entry string) (*os.File, error) {
	fd, err := unix.Openat(d.fd, entry, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o640)
	if err != nil {
		return nil, d.pathError("create", entry, err)
	}
	return os.NewFile(uintptr(fd), d.name(entry)), nil
}

// rename renames an entry within the directory; a link is renamed as
// itself, and a link at the new name is replaced, not followed.
func (d *dirHandle) rename(from, to string) error {
	if err := unix.Renameat(d.fd, from, d.fd, to); err != nil {
		return &os.LinkError{Op: "rename", Old: d.name(from), New: d.name(to), Err: err}
	}
	return nil
}

// remove unlinks an entry; a link is removed, not its target.
func (d *dirHandle) remove(entry string) error {
	if err := unix.Unlinkat(d.fd, entry, 0); err != nil {
		return d.pathError("remove", entry, err)
	}
	return nil
}

// stat describes an entry itself, a link included.
func (d *dirHandle) stat(entry string) (fileStat, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, entry, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fileStat{}, d.pathError("stat", entry, err)
	}
	mode := uint32(st.Mode) & unix.S_IFMT
	return fileStat{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, regular: mode == unix.S_IFREG, dir: mode == unix.S_IFDIR}, nil
}

// namesWithPrefix lists the entries whose name starts with prefix.
func (d *dirHandle) namesWithPrefix(prefix string) ([]string, error) {
	fd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.path, Err: err}
	}
	listing := os.NewFile(uintptr(fd), d.path)
	defer listing.Close()
	var names []string
	for {
		batch, err := listing.Readdirnames(256)
		for _, name := range batch {
			if strings.HasPrefix(name, prefix) {
				names = append(names, name)
			}
		}
		if len(names) > maxDirEntries {
			return nil, fmt.Errorf("log directory %s holds more than %d files named %s*: the rotator keeps a few; remove the others", d.path, maxDirEntries, prefix)
		}
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", d.path, err)
		}
	}
}

// fileStat is what the agent needs of a log file: its identity, its size
// and its type.
type fileStat struct {
	dev, ino     uint64
	size         int64
	regular, dir bool
}

func (s fileStat) sameFile(o fileStat) bool { return s.dev == o.dev && s.ino == o.ino }

// statFile describes an open file.
func statFile(f *os.File) (fileStat, error) {
	info, err := f.Stat()
	if err != nil {
		return fileStat{}, err
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, fmt.Errorf("no file identity for %s", f.Name())
	}
	return fileStat{dev: uint64(st.Dev), ino: st.Ino, size: info.Size(), regular: info.Mode().IsRegular(), dir: info.IsDir()}, nil
}
