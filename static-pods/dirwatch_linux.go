package staticpods

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// dirWatchMask is what the source follows. IN_CLOSE_WRITE tells a completed
// write from the first of several: fsnotify (v1.10) has it only among its
// unexported "unportable" operations, so the source reads inotify itself.
const dirWatchMask = unix.IN_CREATE | unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_MOVED_FROM |
	unix.IN_DELETE | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR

// parentWatchMask follows the directory's own name in its parent: a
// directory made again, or a symlink to it swapped by a rename (how
// config-management tools deploy a new version), is created or moved there.
const parentWatchMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ONLYDIR

// inotifyHeader is the fixed part of struct inotify_event: wd, mask,
// cookie and len, each 4 bytes; the name (len bytes, NUL-padded) follows.
const inotifyHeader = 16

// dirWatch follows one directory, and its name in its parent, with
// inotify. Events and errors arrive on its channels until Close.
type dirWatch struct {
	dir  string
	file *os.File // the inotify descriptor, read through the runtime's poller
	// dirWd and parentWd tell the two watches' events apart; -1 is none.
	// A watch is on an inode, so add moves dirWd to what the name holds
	// now, and events of an earlier directory are dropped.
	dirWd, parentWd atomic.Int32
	events          chan dirEvent
	errors          chan error
	stop            chan struct{} // closed by Close, so a blocked send gives up
	done            chan struct{} // closed when the reader has returned
}

// rawInotify is one event as the kernel reports it.
type rawInotify struct {
	wd   int32
	mask uint32
	name string
}

func watchDir(dir string) (*dirWatch, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("creating an inotify instance: %w", err)
	}
	w := &dirWatch{dir: dir, file: os.NewFile(uintptr(fd), "inotify"),
		events: make(chan dirEvent, 64), errors: make(chan error, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.dirWd.Store(-1)
	w.parentWd.Store(-1)
	if err := w.add(); err != nil {
		w.file.Close()
		return nil, err
	}
	// Without the parent's watch (a parent the agent may not read), a
	// replaced directory is seen at the next relist instead.
	if wd, err := w.addWatch(filepath.Dir(dir), parentWatchMask); err == nil {
		w.parentWd.Store(wd)
	}
	go w.read()
	return w, nil
}

// add (re)starts watching what the directory's name holds now, e.g. after
// it was made again or its symlink swapped, and stops watching the old one.
func (w *dirWatch) add() error {
	if old := w.dirWd.Swap(-1); old >= 0 {
		w.removeWatch(old) // gone already when the old directory was deleted
	}
	wd, err := w.addWatch(w.dir, dirWatchMask)
	if err != nil {
		return err
	}
	w.dirWd.Store(wd)
	return nil
}

func (w *dirWatch) addWatch(path string, mask uint32) (int32, error) {
	conn, err := w.file.SyscallConn()
	if err != nil {
		return -1, err
	}
	var wd int
	var addErr error
	if err := conn.Control(func(fd uintptr) { wd, addErr = unix.InotifyAddWatch(int(fd), path, mask) }); err != nil {
		return -1, err
	}
	if addErr != nil {
		return -1, fmt.Errorf("watching %s: %w", path, addErr)
	}
	return int32(wd), nil
}

func (w *dirWatch) removeWatch(wd int32) {
	if conn, err := w.file.SyscallConn(); err == nil {
		_ = conn.Control(func(fd uintptr) { _, _ = unix.InotifyRmWatch(int(fd), uint32(wd)) })
	}
}

// Close stops the reader and waits for it.
func (w *dirWatch) Close() error {
	close(w.stop)
	err := w.file.Close()
	<-w.done
	return err
}

func (w *dirWatch) read() {
	defer close(w.done)
	buf := make([]byte, 64*(inotifyHeader+unix.NAME_MAX+1))
	for {
		n, err := w.file.Read(buf)
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if err != nil {
			w.sendError(fmt.Errorf("reading inotify events for %s: %w", w.dir, err))
			return
		}
		for _, raw := range parseInotify(buf[:n]) {
			event, ok := w.translate(raw)
			if !ok {
				continue
			}
			select {
			case w.events <- event:
			case <-w.stop:
				return
			}
		}
	}
}

// translate maps a kernel event onto what the source needs, by the watch
// it came from.
func (w *dirWatch) translate(raw rawInotify) (dirEvent, bool) {
	switch {
	case raw.mask&unix.IN_Q_OVERFLOW != 0:
		return dirEvent{overflow: true}, true
	case raw.wd == w.dirWd.Load():
		return eventFromMask(raw.name, raw.mask)
	case raw.wd == w.parentWd.Load():
		if raw.name == filepath.Base(w.dir) && raw.mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
			return dirEvent{dirReplaced: true}, true
		}
	}
	return dirEvent{}, false
}

func (w *dirWatch) sendError(err error) {
	select {
	case w.errors <- err:
	default:
	}
}

// parseInotify decodes a buffer of inotify events; a truncated tail,
// which the kernel never writes, is dropped.
func parseInotify(buf []byte) []rawInotify {
	var events []rawInotify
	for len(buf) >= inotifyHeader {
		wd := int32(binary.NativeEndian.Uint32(buf[0:4]))
		mask := binary.NativeEndian.Uint32(buf[4:8])
		nameLen := int(binary.NativeEndian.Uint32(buf[12:16]))
		if len(buf) < inotifyHeader+nameLen {
			break
		}
		name := buf[inotifyHeader : inotifyHeader+nameLen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		buf = buf[inotifyHeader+nameLen:]
		events = append(events, rawInotify{wd: wd, mask: mask, name: string(name)})
	}
	return events
}

// eventFromMask maps one event of the directory's own watch.
func eventFromMask(name string, mask uint32) (dirEvent, bool) {
	switch {
	case mask&unix.IN_Q_OVERFLOW != 0:
		return dirEvent{overflow: true}, true
	case mask&(unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_IGNORED) != 0:
		return dirEvent{dirGone: true}, true
	case name == "":
		return dirEvent{}, false
	case mask&(unix.IN_CREATE|unix.IN_MODIFY) != 0:
		return dirEvent{name: name, state: contentWriting}, true
	case mask&unix.IN_ATTRIB != 0:
		return dirEvent{name: name, attribOnly: true}, true
	}
	return dirEvent{name: name, state: contentComplete}, true
}
