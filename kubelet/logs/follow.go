package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// followBatchLines bounds how many lines are written between checks
	// for a rotation, so a reader behind a slow client notices a rename
	// while the renamed file is still plain and can be found by identity.
	followBatchLines = 512
	// finalSwitches bounds the file switches made after the container
	// stopped; a stopped container's log cannot keep rotating.
	finalSwitches = 8
)

// follower keeps reading a container instance's log as the runtime appends
// to it, woken by fsnotify events on the log directory.
//
// Rotation: the rotator renames the live file and the runtime then opens a
// new one at the same path. The follower keeps reading the renamed file
// through its open descriptor and switches to the new file only once that
// has data: the runtime writes serially, so from then on nothing more
// reaches the old file, and draining it first loses and repeats nothing.
type follower struct {
	read    *logRead
	path    string
	watcher *fsnotify.Watcher
	cur     *os.File    // file being read; nil if the read began in a compressed file
	curInfo os.FileInfo // identity of cur
	// curAt is cur's rotation time once cur is known to be rotated; rotated
	// files newer than that are read before the next live file.
	curAt time.Time
}

func newFollower(r *logRead, cur *os.File, curAt time.Time) (*follower, error) {
	f := &follower{read: r, path: r.req.Path, cur: cur, curAt: curAt}
	if cur != nil {
		info, err := cur.Stat()
		if err != nil {
			cur.Close()
			return nil, fmt.Errorf("inspecting log %s: %w", cur.Name(), err)
		}
		f.curInfo = info
	}
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		f.close()
		return nil, fmt.Errorf("creating log watcher: %w", err)
	}
	f.watcher = watcher
	if err := watcher.Add(filepath.Dir(f.path)); err != nil {
		f.close()
		return nil, fmt.Errorf("watching log directory %s: %w", filepath.Dir(f.path), err)
	}
	return f, nil
}

// close releases the watcher and the open file.
func (f *follower) close() {
	if f.watcher != nil {
		f.watcher.Close()
	}
	if f.cur != nil {
		f.cur.Close()
		f.cur = nil
	}
}

// run follows until the container stops (then the rest of the log is
// written) or ctx ends.
func (f *follower) run(ctx context.Context) error {
	interval := f.read.req.CheckInterval
	if interval <= 0 {
		interval = defaultCheckInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	active := false
	for {
		written, more, err := f.drainBatch(ctx)
		if err != nil {
			return err
		}
		active = active || written > 0
		f.identifyCursor()
		if more {
			continue
		}
		switched, err := f.advance(ctx, false)
		if err != nil {
			return err
		}
		if switched {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-f.watcher.Events:
			if !ok {
				return errors.New("log watcher closed")
			}
			f.discardQueuedEvents()
		case err := <-f.watcher.Errors:
			// An event queue overflow loses only wake-ups; the ticker
			// still wakes the loop, which re-reads the file anyway.
			f.read.req.Logger.Warn("log watcher error", "path", f.path, "err", err)
		case <-ticker.C:
			if active {
				active = false
				continue
			}
			if !f.stillRunning(ctx) {
				return f.finish(ctx)
			}
		}
	}
}

// drainBatch writes up to followBatchLines new lines; more reports that
// the batch filled before the data ran out.
func (f *follower) drainBatch(ctx context.Context) (written int, more bool, err error) {
	for ; written < followBatchLines; written++ {
		line, err := f.read.scanner.next()
		if errors.Is(err, io.EOF) {
			return written, false, f.read.out.flush()
		}
		if err != nil {
			return written, false, fmt.Errorf("reading log %s: %w", f.path, err)
		}
		if err := f.read.emit(ctx, line); err != nil {
			return written, false, err
		}
	}
	return written, true, f.read.out.flush()
}

// discardQueuedEvents coalesces a burst of events into one re-read.
func (f *follower) discardQueuedEvents() {
	for {
		select {
		case <-f.watcher.Events:
		default:
			return
		}
	}
}

// stillRunning asks whether the container runs. A failed check keeps the
// follower going: a transient runtime error must not end a user's follow.
func (f *follower) stillRunning(ctx context.Context) bool {
	if f.read.req.Running == nil {
		return false
	}
	running, err := f.read.req.Running(ctx)
	if err != nil {
		f.read.req.Logger.Warn("checking whether container still runs", "path", f.path, "err", err)
		return ctx.Err() == nil
	}
	return running
}

// finish writes what the stopped container left: the rest of the current
// file and of any file the runtime switched to before stopping.
func (f *follower) finish(ctx context.Context) error {
	for range finalSwitches {
		if err := f.read.pump(ctx); err != nil {
			return err
		}
		switched, err := f.advance(ctx, true)
		if err != nil {
			return err
		}
		if !switched {
			break
		}
	}
	return f.read.finish(ctx)
}

// identifyCursor records cur's rotation time once cur was renamed away from
// the live path, found among plain rotated files by file identity.
func (f *follower) identifyCursor() {
	if f.cur == nil || !f.curAt.IsZero() {
		return
	}
	if info, err := os.Stat(f.path); err == nil && os.SameFile(info, f.curInfo) {
		return
	}
	rotated, err := listRotated(f.path)
	if err != nil {
		return
	}
	for i := len(rotated) - 1; i >= 0; i-- {
		if f.isCursor(rotated[i]) {
			f.curAt = rotated[i].rotatedAt
			return
		}
	}
}

func (f *follower) isCursor(file rotatedFile) bool {
	if file.compressed || f.curInfo == nil {
		return false
	}
	info, err := os.Stat(file.stem)
	return err == nil && os.SameFile(info, f.curInfo)
}

// advance switches to a new live file once the runtime writes to it (or,
// with final, once it exists), first finishing cur and any rotated file
// between the two. It reports whether it switched.
func (f *follower) advance(ctx context.Context, final bool) (bool, error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return false, nil // between rename and reopen; the runtime recreates it
	}
	if f.curInfo != nil && os.SameFile(info, f.curInfo) {
		f.curAt = time.Time{} // a failed rotation renamed cur back
		return false, nil
	}
	if info.Size() == 0 && !final {
		return false, nil // the runtime may still flush into cur
	}
	f.identifyCursor()
	if f.cur != nil {
		if err := f.read.pump(ctx); err != nil {
			return false, err
		}
		if err := f.read.endOfFile(ctx); err != nil {
			return false, err
		}
	}
	live, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("opening new log file: %w", err)
	}
	liveInfo, err := live.Stat()
	if err != nil {
		live.Close()
		return false, fmt.Errorf("inspecting new log file: %w", err)
	}
	for _, file := range f.rotatedSinceCursor(live) {
		if err := f.read.readRotated(ctx, file); err != nil {
			live.Close()
			return false, err
		}
	}
	if f.cur != nil {
		f.cur.Close()
	}
	f.cur, f.curInfo, f.curAt = live, liveInfo, time.Time{}
	f.read.scanner.lines.reset(live)
	return true, nil
}

// rotatedSinceCursor lists rotated files newer than cur and older than
// live: files rotated away while the follower was still reading cur.
func (f *follower) rotatedSinceCursor(live *os.File) []rotatedFile {
	rotated, err := listRotated(f.path)
	if err != nil {
		f.read.req.Logger.Warn("listing rotated logs while following", "path", f.path, "err", err)
		return nil
	}
	if f.curAt.IsZero() {
		if len(rotated) > 0 && f.cur != nil {
			f.read.req.Logger.Warn("follow lost track of a rotated log file; lines of files rotated meanwhile may be missing", "path", f.path)
		}
		return nil
	}
	var missed []rotatedFile
	for _, file := range withoutFile(rotated, live) {
		if file.rotatedAt.After(f.curAt) && !f.isCursor(file) {
			missed = append(missed, file)
		}
	}
	return missed
}
