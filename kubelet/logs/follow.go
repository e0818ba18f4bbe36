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
)

const (
	// followBatchLines bounds how many lines are written between checks
	// for a rotation, so a reader behind a slow client notices a rename
	// while the renamed file is still plain and can be found by identity.
	followBatchLines = 512
)

// follower keeps reading a container instance's log as the runtime appends
// to it, woken by changes in the log directory (one inotify instance
// shared by every follower, see followWatches).
//
// Rotation: the rotator renames the live file and the runtime then opens a
// new one at the same path. The follower keeps reading the renamed file
// through its open descriptor. It moves on only once the new file has data
// and the old one has not been written for the settle period: containerd
// writes lines it had already read from the container into the old file
// even after it wrote the first line to the new one. A follower that fell
// behind walks the files rotated meanwhile one by one, oldest first.
type follower struct {
	read  *logRead
	path  string // for messages
	live  string // the live file's name in read.dir
	watch *dirWatch
	// cur is the file being read, nil if the read began in a compressed
	// file; curInfo is its identity.
	cur     *os.File
	curInfo *fileStat
	// curAt is cur's rotation time once cur is known to be rotated; rotated
	// files newer than that are read before the next live file.
	curAt time.Time

	// settle is how long cur must have been unwritten before the follower
	// leaves it; settleTimer wakes the loop when that time has come.
	settle      time.Duration
	settleTimer *time.Timer
	settling    bool
	// nextDataAt is when the follower first saw data in a file that
	// replaced cur: the settle period also runs from then, since cur's own
	// time stamp is old when the container was quiet before the rotation,
	// yet the runtime's late line may still come. Rotations after that one
	// do not restart it, or a fast rotator would starve the follower.
	nextDataAt time.Time
}

func newFollower(r *logRead, cur *os.File, curAt time.Time) (*follower, error) {
	f := &follower{read: r, path: r.req.Path, live: filepath.Base(r.req.Path), cur: cur, curAt: curAt, settle: r.settle()}
	if cur != nil {
		info, err := statFile(cur)
		if err != nil {
			cur.Close()
			return nil, fmt.Errorf("inspecting log %s: %w", cur.Name(), err)
		}
		f.curInfo = &info
	}
	watch, err := followWatches.watch(filepath.Dir(f.path))
	if err != nil {
		f.close()
		return nil, err
	}
	f.watch = watch
	return f, nil
}

// close releases the watch, the timer and the open file.
func (f *follower) close() {
	if f.watch != nil {
		f.watch.close()
	}
	if f.settleTimer != nil {
		f.settleTimer.Stop()
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
		before := f.read.scanner.records
		more, err := f.drainBatch(ctx)
		if err != nil {
			return err
		}
		active = active || f.read.scanner.records != before
		f.identifyCursor()
		if more {
			continue
		}
		switched, err := f.advance(ctx)
		if err != nil {
			return err
		}
		if switched {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.watch.changed:
		case <-f.settled():
			f.settling = false
		case <-ticker.C:
			// A container is asked about only after a quiet interval, so
			// its last lines are on disk when it is found stopped.
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
func (f *follower) drainBatch(ctx context.Context) (more bool, err error) {
	for range followBatchLines {
		line, err := f.read.scanner.next()
		if errors.Is(err, io.EOF) {
			return false, f.read.out.flush()
		}
		if err != nil {
			return false, fmt.Errorf("reading log %s: %w", f.path, err)
		}
		if err := f.read.emit(ctx, line); err != nil {
			return false, err
		}
	}
	return true, f.read.out.flush()
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
	for {
		if err := f.read.pump(ctx); err != nil {
			return err
		}
		info, err := f.read.dir.stat(f.live)
		if err != nil || (f.curInfo != nil && info.sameFile(*f.curInfo)) {
			break
		}
		previous := f.curInfo
		if err := f.step(ctx); err != nil {
			return err
		}
		if f.curInfo == nil || (previous != nil && previous.sameFile(*f.curInfo)) {
			break // the live file vanished meanwhile; nothing more to read
		}
	}
	return f.read.finish(ctx)
}

// advance moves on from cur once the live path holds a newer file with data,
// and neither was cur written nor did that data appear within the settle
// period. It reports whether it moved.
func (f *follower) advance(ctx context.Context) (bool, error) {
	info, err := f.read.dir.stat(f.live)
	if err != nil || !info.regular {
		return false, nil // between rename and reopen; the runtime recreates it
	}
	if f.curInfo != nil && info.sameFile(*f.curInfo) {
		f.curAt, f.nextDataAt = time.Time{}, time.Time{} // a failed rotation renamed cur back
		return false, nil
	}
	if info.size == 0 {
		return false, nil // the runtime is still writing into cur
	}
	if f.nextDataAt.IsZero() {
		f.nextDataAt = time.Now()
	}
	if wait := f.settle - min(f.curQuietFor(), time.Since(f.nextDataAt)); wait > 0 {
		f.wakeAfter(wait)
		return false, nil
	}
	return true, f.step(ctx)
}

// curQuietFor is how long ago cur was last written.
func (f *follower) curQuietFor() time.Duration {
	if f.cur == nil {
		return f.settle
	}
	info, err := f.cur.Stat()
	if err != nil {
		return f.settle
	}
	return time.Since(info.ModTime())
}

func (f *follower) wakeAfter(d time.Duration) {
	f.settling = true
	if f.settleTimer == nil {
		f.settleTimer = time.NewTimer(d)
		return
	}
	f.settleTimer.Reset(d)
}

// settled fires when a settle wait ends; nil (never) when none runs.
func (f *follower) settled() <-chan time.Time {
	if !f.settling {
		return nil
	}
	return f.settleTimer.C
}

// step finishes cur and moves to the file that followed it: the oldest
// plain file rotated after it, or else the live file. Compressed files on
// the way are complete and are read whole.
func (f *follower) step(ctx context.Context) error {
	f.settling = false
	f.identifyCursor()
	f.identifyCompressedCursor()
	if f.cur != nil {
		if err := f.read.pump(ctx); err != nil {
			return err
		}
		if err := f.read.endOfFile(ctx); err != nil {
			return err
		}
	}
	live, err := f.read.dir.open(f.live)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotRegular) {
		return nil // rotated again meanwhile (or planted, and soon removed); the next wake-up retries
	}
	if err != nil {
		return fmt.Errorf("opening new log file: %w", err)
	}
	for _, file := range f.rotatedSinceCursor(live) {
		if !file.compressed {
			next, err := f.read.dir.open(file.stem)
			if err == nil {
				live.Close()
				return f.moveTo(next, file.rotatedAt)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				live.Close()
				return fmt.Errorf("opening rotated log: %w", err)
			}
		}
		// Compressed (or compressed since it was listed): complete.
		if err := f.read.readRotated(ctx, tailPart{file: file, to: -1}); err != nil {
			live.Close()
			return err
		}
		f.curAt = file.rotatedAt
	}
	return f.moveTo(live, time.Time{})
}

// moveTo makes file the one being read; at is its rotation time, zero for
// the live file.
func (f *follower) moveTo(file *os.File, at time.Time) error {
	info, err := statFile(file)
	if err != nil {
		file.Close()
		return fmt.Errorf("inspecting log file: %w", err)
	}
	f.read.req.Logger.Debug("following next log file", "file", file.Name(), "rotatedAt", at)
	if f.cur != nil {
		f.cur.Close()
	}
	f.cur, f.curInfo, f.curAt = file, &info, at
	f.nextDataAt = time.Time{}
	f.read.scanner.lines.reset(file)
	return nil
}

// rotatedSinceCursor lists rotated files newer than cur and older than
// live: files rotated away while the follower was still reading cur.
func (f *follower) rotatedSinceCursor(live *os.File) []rotatedFile {
	rotated, err := listRotated(f.read.dir, f.live)
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
	for _, file := range withoutFile(f.read.dir, rotated, live) {
		if file.rotatedAt.After(f.curAt) && !f.isCursor(file) {
			missed = append(missed, file)
		}
	}
	return missed
}
