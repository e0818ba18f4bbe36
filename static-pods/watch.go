package staticpods

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run lists the directory, publishes the first snapshot, then follows
// changes until ctx ends, when it returns nil. It reacts to file events
// at once and re-lists the whole directory every Relist period, so an event
// the watcher missed is healed. Call Run once.
func (s *Source) Run(ctx context.Context) error {
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("staticpods: creating a file watcher for %s: %w", s.dir, err)
	}
	defer watcher.Close()
	// Watch before listing, so nothing written in between is missed.
	if err := watcher.Add(s.dir); err != nil {
		return fmt.Errorf("staticpods: watching manifest directory %s: %w", s.dir, err)
	}
	watching := true

	s.relistDir(settled, time.Now())
	s.publish(s.snapshot())

	relist := time.NewTicker(s.relist)
	defer relist.Stop()
	settle := time.NewTimer(time.Hour)
	defer settle.Stop()
	for {
		s.armSettleTimer(settle)
		select {
		case <-ctx.Done():
			return nil
		case event, ok := <-watcher.Events:
			if !ok {
				return errors.New("staticpods: the file watcher stopped unexpectedly")
			}
			watching = s.handleEvents(event, watcher.Events) && watching
		case err, ok := <-watcher.Errors:
			if !ok {
				return errors.New("staticpods: the file watcher stopped unexpectedly")
			}
			// Usually an event queue overflow: events were lost, so look again.
			s.log.Warn("file watcher reported an error; re-listing the manifest directory", "dir", s.dir, "error", err)
			s.relistDir(eager, time.Now())
		case <-relist.C:
			if !watching {
				watching = watcher.Add(s.dir) == nil
			}
			s.relistDir(eager, time.Now())
		case now := <-settle.C:
			s.settleDue(now)
		}
		s.publish(s.snapshot())
	}
}

// handleEvents reads the files named by first and by every event already
// queued behind it, each once, so a burst of writes costs one read per file.
// It returns false when the directory itself went away, which ends the watch.
func (s *Source) handleEvents(first fsnotify.Event, queued <-chan fsnotify.Event) bool {
	paths := map[string]bool{}
	dirKept := s.noteEvent(first, paths)
	for more := true; more; {
		select {
		case event, ok := <-queued:
			if !ok {
				more = false
				break
			}
			dirKept = s.noteEvent(event, paths) && dirKept
		default:
			more = false
		}
	}
	now := time.Now()
	// In name order, so files first seen together rank as on a first listing.
	for _, path := range sortedKeys(paths) {
		s.readFile(path, eager, now)
	}
	if !dirKept {
		s.relistDir(eager, now)
	}
	return dirKept
}

// noteEvent adds the manifest an event concerns to paths and reports
// whether the watched directory still stands.
func (s *Source) noteEvent(event fsnotify.Event, paths map[string]bool) bool {
	if event.Name == s.dir {
		return !event.Has(fsnotify.Remove) && !event.Has(fsnotify.Rename)
	}
	// A permission change alone cannot change what the file says.
	if event.Op == fsnotify.Chmod {
		return true
	}
	if filepath.Dir(event.Name) == s.dir && isManifestName(filepath.Base(event.Name)) {
		paths[event.Name] = true
	}
	return true
}

// relistDir reads every manifest in the directory and every file known
// from before, in file-name order so that on the first listing the first
// file by name wins a pod-name clash.
func (s *Source) relistDir(mode readMode, now time.Time) {
	entries, err := os.ReadDir(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !s.dirGone {
			s.log.Warn("manifest directory is missing; its pods will be removed", "dir", s.dir)
		}
		s.dirGone = true
	case err != nil:
		// Keep what we have rather than drop every pod over a transient error.
		s.log.Warn("cannot list the manifest directory", "dir", s.dir, "error", err)
		return
	default:
		s.dirGone = false
	}
	listed := map[string]bool{}
	for _, entry := range entries {
		if entry.IsDir() || !isManifestName(entry.Name()) {
			continue
		}
		path := filepath.Join(s.dir, entry.Name())
		listed[path] = true
		s.readFile(path, mode, now)
	}
	for path := range s.files {
		if !listed[path] {
			s.readFile(path, mode, now)
		}
	}
}

// armSettleTimer makes the timer fire at the earliest pending re-read.
func (s *Source) armSettleTimer(timer *time.Timer) {
	next, ok := s.nextPending()
	if !ok {
		timer.Stop()
		return
	}
	timer.Reset(max(time.Until(next), 0))
}
