package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// statsCache fetches stats from the runtime at most once per ttl, however
// many endpoints and scrapers ask; concurrent askers share one fetch.
// Failed fetches are cached too, so a broken runtime is not hammered.
type statsCache struct {
	runtime  StatsSource
	images   ImageLister // may be nil
	node     nodeReader
	selector map[string]string
	ttl      time.Duration
	timeout  time.Duration
	log      *slog.Logger
	now      func() time.Time

	flight  singleflight.Group
	latest  atomic.Pointer[snapshot]
	history history       // for CPU rates (Usage)
	fetches atomic.Uint64 // runtime fetches done, for tests and benchmarks

	optionalErrs sync.Map // optional call → the last error logged for it
}

// get returns a snapshot no older than the TTL, fetching one if needed.
// ctx bounds only this caller's wait: a fetch already under way keeps
// going for the callers that share it, bounded by the cache's timeout.
func (c *statsCache) get(ctx context.Context) *snapshot {
	if s := c.latest.Load(); s != nil && c.now().Sub(s.fetchedAt) < c.ttl {
		return s
	}
	result := c.flight.DoChan("stats", func() (any, error) {
		fetchCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		s := c.fetch(fetchCtx)
		c.latest.Store(s)
		c.history.remember(s)
		return s, nil
	})
	select {
	case r := <-result:
		return r.Val.(*snapshot)
	case <-ctx.Done():
		return &snapshot{fetchedAt: c.now(), err: fmt.Errorf("waiting for runtime stats: %w", ctx.Err())}
	}
}

// current returns the latest snapshot without fetching; nil before the
// first fetch.
func (c *statsCache) current() *snapshot { return c.latest.Load() }

func (c *statsCache) fetch(ctx context.Context) *snapshot {
	c.fetches.Add(1)
	s := &snapshot{fetchedAt: c.now()}
	node, err := c.node.read()
	s.node = node
	if err != nil {
		c.log.Warn("node stats unavailable for metrics", "err", err)
	}
	lists, err := c.list(ctx)
	if err != nil {
		s.err = err
		// A runtime that is away was reported once by the agent's CRI
		// client; a line per scrape would add nothing.
		level := slog.LevelWarn
		if status.Code(err) == codes.Unavailable {
			level = slog.LevelDebug
		}
		c.log.Log(ctx, level, "runtime stats unavailable for metrics", "err", err)
		return s
	}
	s.containers, s.pods = buildSamples(lists)
	return s
}

// list runs the CRI list calls in parallel. Pod stats and images are
// optional: without them pod figures are summed from containers and the
// image label falls back to what the runtime reports.
func (c *statsCache) list(ctx context.Context) (runtimeLists, error) {
	var l runtimeLists
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		l.containers, err = c.runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{
			State:         &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING},
			LabelSelector: c.selector,
		})
		return wrapList("listing containers", err)
	})
	g.Go(func() (err error) {
		l.sandboxes, err = c.runtime.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{
			State:         &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY},
			LabelSelector: c.selector,
		})
		return wrapList("listing pod sandboxes", err)
	})
	g.Go(func() (err error) {
		l.containerStats, err = c.runtime.ListContainerStats(ctx, &runtimeapi.ContainerStatsFilter{LabelSelector: c.selector})
		return wrapList("listing container stats", err)
	})
	g.Go(func() error {
		podStats, err := c.runtime.ListPodSandboxStats(ctx, &runtimeapi.PodSandboxStatsFilter{LabelSelector: c.selector})
		c.noteOptionalError(ctx, "pod sandbox stats", err)
		l.podStats = podStats
		return nil
	})
	if c.images != nil {
		g.Go(func() error {
			images, err := c.images.ListImages(ctx, &runtimeapi.ImageFilter{})
			c.noteOptionalError(ctx, "images", err)
			l.images = images
			return nil
		})
	}
	return l, g.Wait()
}

func wrapList(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s for metrics: %w", what, err)
	}
	return nil
}

// noteOptionalError logs a failed optional call, once per distinct
// error: a runtime that cannot give pod stats (containerd 1.6 fails the
// whole call for a sandbox without a cgroup parent) would otherwise log a
// line per scrape.
func (c *statsCache) noteOptionalError(ctx context.Context, what string, err error) {
	if err == nil {
		c.optionalErrs.Delete(what)
		return
	}
	msg := err.Error()
	if previous, seen := c.optionalErrs.Swap(what, msg); seen && previous == msg {
		return
	}
	level := slog.LevelWarn
	if status.Code(err) == codes.Unimplemented {
		level = slog.LevelDebug
	}
	c.log.Log(ctx, level, "optional runtime call failed; exporting metrics without it until it succeeds",
		"call", what, "err", err)
}
