package logs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Rotation defaults, kubelet's.
const (
	DefaultMaxSize     = 10 << 20
	DefaultMaxFiles    = 5
	DefaultInterval    = 10 * time.Second
	DefaultCallTimeout = 10 * time.Second
)

// RuntimeService is the part of a CRI runtime the rotator needs; the
// signatures are those of k8s.io/cri-api's RuntimeService, so the project's
// CRI client satisfies it.
type RuntimeService interface {
	ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error)
	ContainerStatus(ctx context.Context, containerID string, verbose bool) (*runtimeapi.ContainerStatusResponse, error)
	ReopenContainerLog(ctx context.Context, containerID string) error
}

// RotatorConfig configures NewRotator; zero fields take the defaults.
type RotatorConfig struct {
	// Runtime is the CRI runtime running the containers; required.
	Runtime RuntimeService
	// Logger receives one line per rotation or failure; nil discards.
	Logger *slog.Logger
	// MaxSize is the live file size that triggers a rotation (10 MiB).
	MaxSize int64
	// MaxFiles is how many files a container instance keeps, counting
	// the live one (5); at least 2, as the newest rotated file may still
	// receive the runtime's last writes.
	MaxFiles int
	// Interval is the time between passes over the containers (10 s).
	Interval time.Duration
	// CallTimeout bounds each CRI call (10 s).
	CallTimeout time.Duration
	// Labels restricts rotation to containers carrying all these labels,
	// i.e. the agent's own.
	Labels map[string]string
	// Now is the clock for rotated file names; nil means time.Now.
	Now func() time.Time
}

// Rotator is the agent's container log manager: it keeps each container's
// log within MaxSize × MaxFiles on disk.
type Rotator struct {
	cfg RotatorConfig

	// logPaths caches each listed container's log path: it never changes
	// for a container, and asking the runtime for it on every pass cost a
	// ContainerStatus per container every Interval (11 calls a second at
	// 110 pods). Entries go with their containers from the list.
	mu       sync.Mutex
	logPaths map[string]string
	// settled holds the containers whose last pass found no rotated or
	// temporary file beside the live one. Only a rotation (ours) makes
	// such files, so a settled container needs no directory listing
	// until it is rotated: at 110 pods the two listings per container
	// were most of the rotator's syscalls every Interval. The first
	// pass after a start lists everything (stale temps of a crash).
	settled map[string]bool
	// dirListings counts directory listings, for the tests of settled.
	dirListings atomic.Int64
}

// NewRotator validates cfg and fills in defaults.
func NewRotator(cfg RotatorConfig) (*Rotator, error) {
	if cfg.Runtime == nil {
		return nil, errors.New("log rotator: Runtime is required")
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.MaxFiles == 0 {
		cfg.MaxFiles = DefaultMaxFiles
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MaxSize < 0:
		return nil, fmt.Errorf("log rotator: MaxSize %d is negative: give a size in bytes such as 10Mi", cfg.MaxSize)
	case cfg.MaxFiles < 2:
		return nil, fmt.Errorf("log rotator: MaxFiles %d is below 2: the live file and the newest rotated one must both stay", cfg.MaxFiles)
	case cfg.Interval < 0 || cfg.CallTimeout < 0:
		return nil, errors.New("log rotator: Interval and CallTimeout must be positive")
	}
	return &Rotator{cfg: cfg}, nil
}

// Run rotates every Interval until ctx ends, then returns nil. Failures
// are logged and retried on the next pass.
func (r *Rotator) Run(ctx context.Context) error {
	ticker := time.NewTicker(r.cfg.Interval)
	defer ticker.Stop()
	for {
		if err := r.RotateOnce(ctx); err != nil && ctx.Err() == nil {
			// A runtime that is away was reported once already, by the
			// agent's CRI client; the next pass after it is back rotates.
			// A full disk (ENOSPC while compressing) is reported once by
			// the agent's disk watch.
			level := slog.LevelWarn
			if status.Code(err) == codes.Unavailable || errors.Is(err, syscall.ENOSPC) {
				level = slog.LevelDebug
			}
			r.cfg.Logger.Log(ctx, level, "container log rotation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// RotateOnce makes one pass over the agent's containers; it returns the
// joined errors of the containers it could not handle. Exited containers
// count too: the kubelet rotates only running ones, so a container that
// wrote a huge log and exited kept it whole.
func (r *Rotator) RotateOnce(ctx context.Context) error {
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	containers, err := r.cfg.Runtime.ListContainers(callCtx, &runtimeapi.ContainerFilter{LabelSelector: r.cfg.Labels})
	cancel()
	if err != nil {
		return fmt.Errorf("listing containers for log rotation: %w", err)
	}
	r.forgetUnlisted(containers)
	var errs []error
	for _, c := range containers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		state := c.GetState()
		if state != runtimeapi.ContainerState_CONTAINER_RUNNING && state != runtimeapi.ContainerState_CONTAINER_EXITED {
			continue
		}
		running := state == runtimeapi.ContainerState_CONTAINER_RUNNING
		if err := r.rotateContainer(ctx, c.GetId(), running); err != nil {
			errs = append(errs, fmt.Errorf("container %s (%s): %w", c.GetMetadata().GetName(), c.GetId(), err))
		}
	}
	return errors.Join(errs...)
}

// rotateContainer rotates one container's live file if it is too big,
// then prunes and compresses its rotated files. Every file operation goes
// through the directory's descriptor (see dirHandle): the container may have
// planted links there.
func (r *Rotator) rotateContainer(ctx context.Context, id string, running bool) error {
	path, cached, err := r.logPath(ctx, id)
	if isNotFound(err) {
		return nil // removed since the list, with its logs
	}
	if err != nil {
		return fmt.Errorf("getting log path: %w", err)
	}
	if path == "" {
		return nil
	}
	dir, err := openLogDir(filepath.Dir(path))
	if cached && errors.Is(err, fs.ErrNotExist) {
		// Perhaps removed since the list: ask the runtime once more.
		r.forget(id)
		return r.rotateContainer(ctx, id, running)
	}
	if !running && errors.Is(err, fs.ErrNotExist) {
		return nil // the pod's logs are gone with it
	}
	if err != nil {
		return fmt.Errorf("opening log directory: %w", err)
	}
	defer dir.close()
	live := filepath.Base(path)
	wasSettled, tempsClean := r.isSettled(id), true
	if !wasSettled {
		r.dirListings.Add(1)
		tempsClean = removeStaleTemps(dir, live, r.cfg.Logger)
	}
	if err := r.rotateLive(ctx, dir, id, live, running); err != nil {
		return err
	}
	if wasSettled && r.isSettled(id) {
		return nil
	}
	r.dirListings.Add(1)
	rotated, err := listRotated(dir, live)
	if err != nil {
		return err
	}
	r.setSettled(id, tempsClean && len(rotated) == 0)
	rotated = r.prune(dir, rotated)
	if running {
		// The runtime may still be flushing into the newest.
		rotated = rotated[:max(0, len(rotated)-1)]
	}
	return r.compress(dir, rotated)
}

// rotateLive renames the live file once it reaches MaxSize. A running
// container's runtime is then asked to open a new one; an exited one's
// log just stays rotated.
func (r *Rotator) rotateLive(ctx context.Context, dir *dirHandle, id, live string, running bool) error {
	info, err := dir.stat(live)
	switch {
	case errors.Is(err, fs.ErrNotExist) && running:
		// Someone removed the live file; the runtime writes into the
		// deleted inode until asked to reopen, filling the disk unseen.
		if err := r.reopen(ctx, id); err != nil {
			return fmt.Errorf("reopening missing log %s: %w", dir.name(live), err)
		}
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("inspecting log: %w", err)
	case !info.regular:
		// Only the container can have put a link or special file there;
		// renaming it would have it compressed, i.e. read, later.
		if err := dir.remove(live); err != nil {
			return fmt.Errorf("removing what was planted in place of the live log: %w", err)
		}
		r.cfg.Logger.Warn("removed a link or special file planted in place of a container log", "container", id, "path", dir.name(live))
		if running {
			return r.reopen(ctx, id)
		}
	case info.size >= r.cfg.MaxSize:
		return r.rotate(ctx, dir, id, live, running)
	}
	return nil
}

// rotate renames the live file and has the runtime of a running container
// open a new one; if the runtime refuses, the rename is undone so the
// runtime and the name agree.
func (r *Rotator) rotate(ctx context.Context, dir *dirHandle, id, live string, running bool) error {
	renamed := rotatedPath(live, r.cfg.Now())
	r.setSettled(id, false)
	if err := dir.rename(live, renamed); err != nil {
		return fmt.Errorf("rotating log: %w", err)
	}
	if running {
		if err := r.reopen(ctx, id); err != nil {
			if undoErr := dir.rename(renamed, live); undoErr != nil {
				return fmt.Errorf("reopening rotated log %s: %w (and restoring it failed: %v)", dir.name(live), err, undoErr)
			}
			return fmt.Errorf("reopening rotated log %s: %w", dir.name(live), err)
		}
	}
	r.cfg.Logger.Info("rotated container log", "container", id, "path", dir.name(live), "rotated", renamed, "running", running)
	return nil
}

func (r *Rotator) reopen(ctx context.Context, id string) error {
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	defer cancel()
	return r.cfg.Runtime.ReopenContainerLog(callCtx, id)
}

// prune removes the oldest rotated files beyond MaxFiles-1 and returns
// the ones kept.
func (r *Rotator) prune(dir *dirHandle, rotated []rotatedFile) []rotatedFile {
	excess := len(rotated) - (r.cfg.MaxFiles - 1)
	if excess <= 0 {
		return rotated
	}
	for _, file := range rotated[:excess] {
		for _, name := range []string{file.stem, file.stem + compressedSuffix} {
			if err := dir.remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.cfg.Logger.Warn("removing old container log", "file", dir.name(name), "err", err)
			}
		}
	}
	return rotated[excess:]
}

// compress gzips the given rotated files. A file that is not a regular
// file is left alone with a warning, so one planted entry does not stop
// the rotation of the others.
func (r *Rotator) compress(dir *dirHandle, rotated []rotatedFile) error {
	var errs []error
	for _, file := range rotated {
		if file.compressed {
			continue
		}
		err := compressFile(dir, file.stem)
		switch {
		case errors.Is(err, errNotRegular):
			r.cfg.Logger.Warn("not compressing a link or special file named like a rotated log", "file", dir.name(file.stem))
		case err != nil:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isNotFound reports the runtime's answer for a container it no longer
// has: removed between the list and the status call, which is no failure.
func isNotFound(err error) bool {
	return err != nil && status.Code(err) == codes.NotFound
}

// logPath returns container id's log path, from the cache when it is
// there (cached is then true), else from the runtime.
func (r *Rotator) logPath(ctx context.Context, id string) (path string, cached bool, err error) {
	r.mu.Lock()
	path, cached = r.logPaths[id]
	r.mu.Unlock()
	if cached {
		return path, true, nil
	}
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	status, err := r.cfg.Runtime.ContainerStatus(callCtx, id, false)
	cancel()
	if err != nil {
		return "", false, err
	}
	path = status.GetStatus().GetLogPath()
	r.mu.Lock()
	if r.logPaths == nil {
		r.logPaths = map[string]string{}
	}
	r.logPaths[id] = path
	r.mu.Unlock()
	return path, false, nil
}

// forget drops container id's cached log path.
func (r *Rotator) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.logPaths, id)
	delete(r.settled, id)
}

func (r *Rotator) isSettled(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settled[id]
}

func (r *Rotator) setSettled(id string, settled bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !settled {
		delete(r.settled, id)
		return
	}
	if r.settled == nil {
		r.settled = map[string]bool{}
	}
	r.settled[id] = true
}

// forgetUnlisted drops the cached log paths of containers the runtime no
// longer lists, so the cache holds at most the listed containers.
func (r *Rotator) forgetUnlisted(listed []*runtimeapi.Container) {
	keep := make(map[string]bool, len(listed))
	for _, c := range listed {
		keep[c.GetId()] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.logPaths {
		if !keep[id] {
			delete(r.logPaths, id)
		}
	}
	for id := range r.settled {
		if !keep[id] {
			delete(r.settled, id)
		}
	}
}
