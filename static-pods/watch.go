package staticpods

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Run lists the directory, publishes the first snapshot, then follows
// changes until ctx ends, when it returns nil. It reacts to file events
// at once and re-lists the whole directory every Relist period, so an event
// the watcher missed is healed. Call Run once.
func (s *Source) Run(ctx context.Context) error {
	// Watch before listing, so nothing written in between is missed.
	watcher, err := watchDir(s.dir)
	if err != nil {
		return fmt.Errorf("staticpods: watching manifest directory %s: %w", s.dir, err)
	}
	defer watcher.Close()
	watching, watcherErrors := true, watcher.errors

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
		case event := <-watcher.events:
			watching = s.handleEvents(event, watcher.events) && watching
			watching = s.followReplacedDir(watcher, watching)
		case err := <-watcherErrors:
			// The watch is broken for good; the relist still follows the
			// directory, Relist apart.
			s.log.Error("file watcher stopped; following the manifest directory by relisting only", "dir", s.dir, "period", s.relist, "error", err)
			watcherErrors = nil
			s.relistDir(eager, time.Now())
		case <-relist.C:
			if !watching {
				watching = watcher.add() == nil
			}
			s.relistDir(eager, time.Now())
		case now := <-settle.C:
			s.settleDue(now)
		}
		s.publish(s.snapshot())
	}
}

// handleEvents reads the files named by first and by every event already
// queued behind it, each once, so a burst of writes costs one read per file;
// the last event of a file says whether its write is complete. It returns
// false when the directory itself went away, which ends the watch.
func (s *Source) handleEvents(first dirEvent, queued <-chan dirEvent) bool {
	paths := map[string]writeState{}
	dirKept, relist := s.noteEvent(first, paths)
	for more := true; more; {
		select {
		case event := <-queued:
			kept, lost := s.noteEvent(event, paths)
			dirKept, relist = kept && dirKept, lost || relist
		default:
			more = false
		}
	}
	now := time.Now()
	// In name order, so files first seen together rank as on a first listing.
	for _, path := range sortedKeys(paths) {
		mode := eager
		if paths[path] == contentWriting {
			mode = writing
		}
		s.readFile(path, mode, now)
	}
	if !dirKept || relist {
		if relist {
			s.log.Warn("file watcher lost events; re-listing the manifest directory", "dir", s.dir)
		}
		s.relistDir(eager, now)
	}
	return dirKept
}

// noteEvent records the manifest an event concerns in paths and reports
// whether the watched directory still stands and whether events were lost.
func (s *Source) noteEvent(event dirEvent, paths map[string]writeState) (dirKept, lost bool) {
	switch {
	case event.overflow:
		return true, true
	case event.dirGone:
		return false, false
	case event.dirReplaced:
		s.dirReplaced = true
		return true, false
	case event.attribOnly:
		return true, false // a permission change alone cannot change what the file says
	case !isManifestName(event.name):
		return true, false
	}
	paths[filepath.Join(s.dir, event.name)] = event.state
	return true, false
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
		if _, awaited := s.writing[path]; !awaited {
			s.readFile(path, mode, now)
		}
	}
	for path := range s.files {
		if _, awaited := s.writing[path]; !listed[path] && !awaited {
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
