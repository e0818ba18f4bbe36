//go:build !linux

package staticpods

import (
	"path/filepath"

	"github.com/fsnotify/fsnotify"
)

// dirWatch follows the directory with fsnotify where there is no inotify.
// Without a close-write event every write counts as possibly partial, and
// the settle time decides when it is read.
type dirWatch struct {
	dir     string
	watcher *fsnotify.Watcher
	events  chan dirEvent
	errors  chan error
	stop    chan struct{}
	done    chan struct{}
}

func watchDir(dir string) (*dirWatch, error) {
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &dirWatch{dir: dir, watcher: watcher, events: make(chan dirEvent, 64), errors: make(chan error, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := w.add(); err != nil {
		watcher.Close()
		return nil, err
	}
	go w.forward()
	return w, nil
}

func (w *dirWatch) add() error { return w.watcher.Add(w.dir) }

func (w *dirWatch) Close() error {
	close(w.stop)
	err := w.watcher.Close()
	<-w.done
	return err
}

func (w *dirWatch) forward() {
	defer close(w.done)
	for {
		var event dirEvent
		select {
		case <-w.stop:
			return
		case err, ok := <-w.watcher.Errors:
			if !ok {
				return
			}
			_ = err
			event = dirEvent{overflow: true}
		case e, ok := <-w.watcher.Events:
			if !ok {
				return
			}
			event = fromFsnotify(w.dir, e)
		}
		select {
		case w.events <- event:
		case <-w.stop:
			return
		}
	}
}

func fromFsnotify(dir string, e fsnotify.Event) dirEvent {
	if e.Name == dir {
		return dirEvent{dirGone: e.Has(fsnotify.Remove) || e.Has(fsnotify.Rename)}
	}
	name := filepath.Base(e.Name)
	switch {
	case e.Op == fsnotify.Chmod:
		return dirEvent{name: name, attribOnly: true}
	case e.Has(fsnotify.Create) || e.Has(fsnotify.Write):
		return dirEvent{name: name, state: contentWriting}
	}
	return dirEvent{name: name, state: contentComplete}
}
