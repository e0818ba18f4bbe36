package cri

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// How the availability watcher probes a runtime it believes gone: at once,
// then backing off to a probe every couple of seconds, so a runtime that
// is back is noticed within that and a long outage costs one cheap call
// every availabilityMaxDelay.
const (
	availabilityProbeTimeout = 2 * time.Second
	availabilityMinDelay     = 100 * time.Millisecond
	availabilityMaxDelay     = 2 * time.Second
)

// availability is whether the runtime answers, as the client's calls and
// the watcher's probes find it. A call that fails the way a dead runtime
// fails (Unavailable, or no answer within the call's own timeout) makes
// the watcher probe; only a failed probe marks the runtime down, so one
// unlucky call makes no noise.
type availability struct {
	endpoint string
	log      *slog.Logger
	// probe asks the runtime whether it answers; patient probes wait (up
	// to their timeout) for a connection instead of failing at once.
	probe func(ctx context.Context, patient bool) error
	now   func() time.Time
	// suspect wakes the watcher; one pending wake-up is enough.
	suspect chan struct{}

	mu        sync.Mutex
	downSince time.Time
	// up is closed while the runtime answers; a fresh open one replaces
	// it when the runtime goes, for waiters to block on.
	up chan struct{}
}

func newAvailability(endpoint string, log *slog.Logger, probe func(ctx context.Context, patient bool) error) *availability {
	up := make(chan struct{})
	close(up)
	return &availability{endpoint: endpoint, log: log, probe: probe, now: time.Now,
		suspect: make(chan struct{}, 1), up: up}
}

// observe looks at a finished call's error and wakes the watcher when the
// error says the runtime may be gone. parent is the caller's context: a
// call its caller gave up on says nothing about the runtime.
func (a *availability) observe(parent context.Context, err error) {
	if err == nil || parent.Err() != nil || !runtimeGone(err) {
		return
	}
	select {
	case a.suspect <- struct{}{}:
	default:
	}
}

// runtimeGone reports errors a dead or hung runtime causes: the socket
// refuses or drops the connection, or nothing answers in time.
func runtimeGone(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable:
		return true
	case codes.DeadlineExceeded:
		return errors.Is(err, context.DeadlineExceeded)
	}
	return false
}

// watch runs until ctx ends: woken by a suspect call, it probes; when the
// probe fails it logs once that the runtime is gone, probes with back-off
// until it answers, then logs once that it is back.
func (a *availability) watch(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.suspect:
		}
		err := a.probeOnce(ctx, false)
		if err == nil || ctx.Err() != nil {
			continue
		}
		a.markDown(err)
		if !a.waitForAnswer(ctx) {
			return nil
		}
		a.markUp()
	}
}

// waitForAnswer probes with back-off until the runtime answers (true) or
// ctx ends (false).
func (a *availability) waitForAnswer(ctx context.Context) bool {
	delay := availabilityMinDelay
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
		if a.probeOnce(ctx, true) == nil {
			return true
		}
		delay = min(2*delay, availabilityMaxDelay)
		timer.Reset(delay)
	}
}

func (a *availability) probeOnce(ctx context.Context, patient bool) error {
	ctx, cancel := context.WithTimeout(ctx, availabilityProbeTimeout)
	defer cancel()
	return a.probe(ctx, patient)
}

// markDown and markUp log before they change the state (only the watcher
// calls them), so whoever sees the change finds its line already written,
// and waiters released by markUp log after "container runtime is back".
func (a *availability) markDown(err error) {
	a.log.Warn("container runtime is unavailable; pods keep running, waiting for it",
		"endpoint", a.endpoint, "err", cleanMessage(status.Convert(err).Message()))
	a.mu.Lock()
	a.downSince = a.now()
	a.up = make(chan struct{})
	a.mu.Unlock()
}

func (a *availability) markUp() {
	a.mu.Lock()
	down := a.now().Sub(a.downSince)
	a.mu.Unlock()
	a.log.Info("container runtime is back", "endpoint", a.endpoint, "down", down.Round(time.Millisecond))
	a.mu.Lock()
	a.downSince = time.Time{}
	close(a.up)
	a.mu.Unlock()
}

// available reports whether the runtime is believed to answer.
func (a *availability) available() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.downSince.IsZero()
}

// wait returns nil once the runtime is believed to answer, at once when it
// is not known to be down, or ctx's error if ctx ends first.
func (a *availability) wait(ctx context.Context) error {
	a.mu.Lock()
	up := a.up
	a.mu.Unlock()
	select {
	case <-up: // checked alone first: an ended ctx must not hide that it is up
		return nil
	default:
	}
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WatchAvailability follows whether the runtime answers until ctx ends. A
// call that fails as a dead runtime's would starts a probe; if the runtime
// does not answer it either, the client logs one line saying so, probes
// with back-off (at most every 2 s) and logs one line when the runtime is
// back. Meanwhile WaitAvailable blocks, so the agent's loops wait instead
// of failing call after call. Run it for as long as the client is used.
func (c *Client) WatchAvailability(ctx context.Context) error {
	return c.availability.watch(ctx)
}

// WaitAvailable returns nil at once unless the runtime is known to be
// down; then it blocks until the runtime answers again or ctx ends.
func (c *Client) WaitAvailable(ctx context.Context) error {
	return c.availability.wait(ctx)
}

// Available reports whether the runtime is believed to answer: false from
// a failed probe until one succeeds.
func (c *Client) Available() bool { return c.availability.available() }

// IsUnavailable reports whether err is a CRI call that failed because the
// runtime was not there (the socket refused or dropped the connection):
// the availability watcher reports those once, so callers need not.
func IsUnavailable(err error) bool {
	return err != nil && status.Code(err) == codes.Unavailable
}

// probeVersion is the watcher's probe: a bare Version call, outside call()
// so that probes neither count in the metrics nor wake the watcher. The
// first probe fails at once with the connection's own error, for the log
// line; a patient one, while the runtime is down, waits (within its
// timeout) for gRPC to reconnect rather than failing while the channel
// backs off, so a runtime that is back is seen as soon as gRPC reaches it.
func (c *Client) probeVersion(ctx context.Context, patient bool) error {
	_, err := c.runtime.Version(ctx, &runtimeapi.VersionRequest{Version: criV1}, grpc.WaitForReady(patient))
	return err
}
