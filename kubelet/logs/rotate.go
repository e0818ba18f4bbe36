package logs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

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
	// Labels restricts rotation to running containers carrying all these
	// labels, i.e. the agent's own.
	Labels map[string]string
	// Now is the clock for rotated file names; nil means time.Now.
	Now func() time.Time
}

// Rotator is the agent's container log manager: it keeps each running
// container's log within MaxSize × MaxFiles on disk.
type Rotator struct {
	cfg RotatorConfig
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
			r.cfg.Logger.Warn("container log rotation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// RotateOnce makes one pass over the running containers; it returns the
// joined errors of the containers it could not handle.
func (r *Rotator) RotateOnce(ctx context.Context) error {
	filter := &runtimeapi.ContainerFilter{
		State:         &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING},
		LabelSelector: r.cfg.Labels,
	}
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	containers, err := r.cfg.Runtime.ListContainers(callCtx, filter)
	cancel()
	if err != nil {
		return fmt.Errorf("listing running containers for log rotation: %w", err)
	}
	var errs []error
	for _, c := range containers {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.rotateContainer(ctx, c.GetId()); err != nil {
			errs = append(errs, fmt.Errorf("container %s (%s): %w", c.GetMetadata().GetName(), c.GetId(), err))
		}
	}
	return errors.Join(errs...)
}

// rotateContainer rotates one container's live file if it is too big,
// then prunes and compresses its rotated files.
func (r *Rotator) rotateContainer(ctx context.Context, id string) error {
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	status, err := r.cfg.Runtime.ContainerStatus(callCtx, id, false)
	cancel()
	if err != nil {
		return fmt.Errorf("getting log path: %w", err)
	}
	path := status.GetStatus().GetLogPath()
	if path == "" {
		return nil
	}
	removeStaleTemps(path, r.cfg.Logger)
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Someone removed the live file; the runtime writes into the
		// deleted inode until asked to reopen, filling the disk unseen.
		if err := r.reopen(ctx, id); err != nil {
			return fmt.Errorf("reopening missing log %s: %w", path, err)
		}
	case err != nil:
		return fmt.Errorf("inspecting log: %w", err)
	case info.Size() >= r.cfg.MaxSize:
		if err := r.rotate(ctx, id, path); err != nil {
			return err
		}
	}
	rotated, err := listRotated(path)
	if err != nil {
		return err
	}
	rotated = r.prune(rotated)
	return r.compressAllButNewest(rotated)
}

// rotate renames the live file and has the runtime open a new one; if the
// runtime refuses, the rename is undone so the runtime and the name agree.
func (r *Rotator) rotate(ctx context.Context, id, path string) error {
	renamed := rotatedPath(path, r.cfg.Now())
	if err := os.Rename(path, renamed); err != nil {
		return fmt.Errorf("rotating log: %w", err)
	}
	if err := r.reopen(ctx, id); err != nil {
		if undoErr := os.Rename(renamed, path); undoErr != nil {
			return fmt.Errorf("reopening rotated log %s: %w (and restoring it failed: %v)", path, err, undoErr)
		}
		return fmt.Errorf("reopening rotated log %s: %w", path, err)
	}
	r.cfg.Logger.Info("rotated container log", "container", id, "path", path, "rotated", renamed)
	return nil
}

func (r *Rotator) reopen(ctx context.Context, id string) error {
	callCtx, cancel := context.WithTimeout(ctx, r.cfg.CallTimeout)
	defer cancel()
	return r.cfg.Runtime.ReopenContainerLog(callCtx, id)
}

// prune removes the oldest rotated files beyond MaxFiles-1 and returns
// the ones kept.
func (r *Rotator) prune(rotated []rotatedFile) []rotatedFile {
	excess := len(rotated) - (r.cfg.MaxFiles - 1)
	if excess <= 0 {
		return rotated
	}
	for _, file := range rotated[:excess] {
		for _, name := range []string{file.stem, file.stem + compressedSuffix} {
			if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
				r.cfg.Logger.Warn("removing old container log", "file", name, "err", err)
			}
		}
	}
	return rotated[excess:]
}

// compressAllButNewest gzips rotated files except the newest, which the
// runtime may still be flushing into.
func (r *Rotator) compressAllButNewest(rotated []rotatedFile) error {
	var errs []error
	for i, file := range rotated {
		if file.compressed || i == len(rotated)-1 {
			continue
		}
		if err := compressFile(file.stem); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
