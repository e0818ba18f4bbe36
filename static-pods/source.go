package staticpods

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"
)

// Config configures NewSource. Zero durations get defaults.
type Config struct {
	// Dir is the manifest directory; it is created (0755) if missing.
	Dir string
	// NodeName is this node's name: pods are bound to it and it is part of
	// every pod's UID.
	NodeName string
	// Relist is how often the whole directory is re-read, to heal events
	// the watcher missed. Default 20s.
	Relist time.Duration
	// Debounce is how long a file that fails to parse, or has disappeared,
	// must stay so before its error (or removal) is published, so an
	// editor's half-written save makes no noise and takes no pod down. Good
	// files are never delayed. Default 150ms.
	Debounce time.Duration
	// Settle is how long a file written and not closed must have no
	// further write before it is read, where the kernel cannot tell whether
	// a writer still holds it (see writers.go). Default 250ms.
	Settle time.Duration
	// WriterQuiet is how long a file a writer keeps open must have no
	// write before it is read anyway. Default 20s.
	WriterQuiet time.Duration
	// Logger receives one line per event; nil discards.
	Logger *slog.Logger
}

// Defaults for Config's zero values.
const (
	DefaultRelist   = 20 * time.Second
	DefaultDebounce = 150 * time.Millisecond
)

// Source watches a manifest directory and publishes the desired static
// pods as Snapshots. Create it with NewSource and start it with Run.
type Source struct {
	dir      string
	nodeName string
	relist   time.Duration
	debounce time.Duration
	settle   time.Duration
	log      *slog.Logger

	writerQuiet time.Duration

	updates chan Snapshot
	current atomic.Pointer[Snapshot]

	// The fields below are owned by the goroutine running Run.
	files     map[string]*fileState  // by absolute path
	pending   map[string]pendingRead // failing files waiting to be quiet
	writing   map[string]writeWait   // files whose write may not be complete
	sequence  uint64                 // orders first appearances; see fileState
	published *Snapshot
	dirGone   bool // the directory was missing at the last relist
	// dirReplaced is set by an event saying the directory's name holds a
	// new directory or symlink (watch_dir.go).
	dirReplaced bool

	publishCount atomic.Int64 // snapshots published; lets tests see that a burst published once
}

// NewSource checks cfg, fills in defaults and creates the manifest
// directory if needed. It starts nothing: call Run.
func NewSource(cfg Config) (*Source, error) {
	if cfg.Dir == "" {
		return nil, errors.New("staticpods: Config.Dir is empty; set it to the manifest directory")
	}
	if cfg.NodeName == "" {
		return nil, errors.New("staticpods: Config.NodeName is empty; set it to this node's name")
	}
	if cfg.Relist < 0 || cfg.Debounce < 0 || cfg.Settle < 0 || cfg.WriterQuiet < 0 {
		return nil, fmt.Errorf("staticpods: Config.Relist (%s), Debounce (%s), Settle (%s) and WriterQuiet (%s) must not be negative",
			cfg.Relist, cfg.Debounce, cfg.Settle, cfg.WriterQuiet)
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("staticpods: resolving manifest directory %q: %w", cfg.Dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("staticpods: creating manifest directory: %w", err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("staticpods: manifest directory %s is not a directory", dir)
	}
	s := &Source{
		dir:      dir,
		nodeName: cfg.NodeName,
		relist:   orDefault(cfg.Relist, DefaultRelist),
		debounce: orDefault(cfg.Debounce, DefaultDebounce),
		settle:   orDefault(cfg.Settle, DefaultSettle),
		log:      cfg.Logger,
		updates:  make(chan Snapshot, 1),
		files:    map[string]*fileState{},
		pending:  map[string]pendingRead{},
		writing:  map[string]writeWait{},

		writerQuiet: orDefault(cfg.WriterQuiet, DefaultWriterQuiet),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.current.Store(&Snapshot{})
	return s, nil
}

func orDefault(value, fallback time.Duration) time.Duration {
	if value == 0 {
		return fallback
	}
	return value
}

// Updates delivers each new snapshot. It has room for one: a newer snapshot
// replaces one not yet read, so a slow reader only ever sees the latest and
// never blocks the source. The channel is never closed; stop on your own
// context.
func (s *Source) Updates() <-chan Snapshot {
	return s.updates
}

// Current returns the latest snapshot; before the first listing it is
// empty. It is safe for concurrent use.
func (s *Source) Current() Snapshot {
	return *s.current.Load()
}

// publish hands out snap unless it says the same as the last one.
func (s *Source) publish(snap Snapshot) {
	if s.published != nil && sameSnapshot(*s.published, snap) {
		return
	}
	s.logErrorChanges(s.published, snap)
	s.published = &snap
	s.current.Store(&snap)
	s.publishCount.Add(1)
	select {
	case s.updates <- snap:
		return
	default:
	}
	// Only Run sends, so after dropping the unread snapshot there is room.
	select {
	case <-s.updates:
	default:
	}
	s.updates <- snap
}

// logErrorChanges logs the problems of each file whose errors changed since
// the previous snapshot: once per change, not on every relist.
func (s *Source) logErrorChanges(previous *Snapshot, next Snapshot) {
	before := map[string][]string{}
	if previous != nil {
		for _, ferr := range previous.Errors {
			before[ferr.File] = ferr.Messages
		}
	}
	for _, ferr := range next.Errors {
		if slices.Equal(before[ferr.File], ferr.Messages) {
			continue
		}
		for i, message := range ferr.Messages {
			s.log.Warn("static pod manifest is invalid", "file", ferr.File, "field", ferr.Errors[i].Field, "error", message)
		}
	}
}
