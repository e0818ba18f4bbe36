package logs

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// followWatches is the process's one inotify instance for log follows.
// The kernel allows 128 instances per user across the host
// (fs.inotify.max_user_instances), so one per follow would let about 128
// follows starve every other root process on the node of them.
var followWatches = &watchHub{}

// watchHub multiplexes one fsnotify watcher over every follower: one
// inotify watch per directory, however many follow it. The watcher exists
// while some follower needs it.
type watchHub struct {
	mu      sync.Mutex
	watcher *fsnotify.Watcher
	dirs    map[string]map[*dirWatch]struct{}
}

// dirWatch is one follower's subscription to changes in a directory.
type dirWatch struct {
	hub *watchHub
	dir string
	// changed receives a value after changes in dir; a burst of events
	// while the follower reads coalesces into one.
	changed chan struct{}
}

// watch subscribes to changes in dir; close the dirWatch when done.
func (h *watchHub) watch(dir string) (*dirWatch, error) {
	dir = filepath.Clean(dir)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.watcher == nil {
		watcher, err := fsnotify.NewWatcher()
		if err != nil {
			return nil, fmt.Errorf("creating log watcher: %w", err)
		}
		h.watcher, h.dirs = watcher, map[string]map[*dirWatch]struct{}{}
		go h.dispatch(watcher)
	}
	if h.dirs[dir] == nil {
		if err := h.watcher.Add(dir); err != nil {
			h.closeIfIdle()
			return nil, fmt.Errorf("watching log directory %s: %w", dir, err)
		}
		h.dirs[dir] = map[*dirWatch]struct{}{}
	}
	w := &dirWatch{hub: h, dir: dir, changed: make(chan struct{}, 1)}
	h.dirs[dir][w] = struct{}{}
	return w, nil
}

// close ends the subscription; the last one of a directory removes its
// inotify watch, the last one of all closes the instance.
func (w *dirWatch) close() {
	h := w.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	subscribers := h.dirs[w.dir]
	delete(subscribers, w)
	if len(subscribers) == 0 {
		delete(h.dirs, w.dir)
		_ = h.watcher.Remove(w.dir) // gone with its directory already, perhaps
	}
	h.closeIfIdle()
}

func (h *watchHub) closeIfIdle() {
	if len(h.dirs) == 0 && h.watcher != nil {
		h.watcher.Close() // never blocks on dispatch: fsnotify gives up sending once closed
		h.watcher = nil
	}
}

// dispatch wakes the subscribers of each event's directory until the
// watcher is closed. An event names a file in the directory, or the
// directory itself. An error (an event queue overflow) may have lost any
// directory's events, so it wakes everyone to re-read.
func (h *watchHub) dispatch(watcher *fsnotify.Watcher) {
	for {
		select {
		case event, ok := <-watcher.Events:
			if !ok {
				return
			}
			h.mu.Lock()
			wakeAll(h.dirs[filepath.Dir(event.Name)])
			wakeAll(h.dirs[event.Name])
			h.mu.Unlock()
		case _, ok := <-watcher.Errors:
			if !ok {
				return
			}
			h.mu.Lock()
			for _, subscribers := range h.dirs {
				wakeAll(subscribers)
			}
			h.mu.Unlock()
		}
	}
}

func wakeAll(subscribers map[*dirWatch]struct{}) {
	for w := range subscribers {
		select {
		case w.changed <- struct{}{}:
		default:
		}
	}
}
