package cri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
)

// Backoff between rounds of socket probes while the runtime is not up yet.
const (
	firstProbeDelay = 50 * time.Millisecond
	maxProbeDelay   = time.Second
)

// socketPath turns "unix:///path" or a bare "/path" into the socket path.
// Other schemes are refused: CRI runtimes on Linux listen on unix sockets,
// and a typo like "unix//run/x" should fail here rather than as a DNS lookup.
func socketPath(endpoint string) (string, error) {
	path := endpoint
	if rest, ok := strings.CutPrefix(endpoint, "unix:"); ok {
		path = strings.TrimPrefix(rest, "//")
	}
	if path == "" || !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("runtime endpoint %q is not a unix socket: use unix:///path/to/socket or an absolute path", endpoint)
	}
	return path, nil
}

// endpointURL is the canonical form of a socket path, as reported by
// Client.Endpoint and used in messages.
func endpointURL(path string) string { return "unix://" + path }

// probeResult is what the last attempt to reach one socket said.
type probeResult struct {
	path   string
	reason string
}

// waitForSocket probes paths in order, round after round with capped
// exponential backoff, until one accepts a connection or ctx ends. Probing
// the socket ourselves, rather than leaning on gRPC's reconnect, keeps the
// retry under our control and gives a plain reason ("no such file or
// directory") per path when nothing answers. probe is the package's probe
// but for tests.
func waitForSocket(ctx context.Context, paths []string, log *slog.Logger, probe func(context.Context, string) error) (string, []probeResult, error) {
	results := make([]probeResult, len(paths))
	delay := firstProbeDelay
	for attempt := 1; ; attempt++ {
		for i, path := range paths {
			err := firstLook(ctx, attempt == 1, func(ctx context.Context) error { return probe(ctx, path) })
			if err == nil {
				return path, nil, nil
			}
			// A probe the deadline cut short (or a round begun once the
			// timer and the deadline fired together) says nothing about
			// the socket: keep what the last real probe found, so the
			// error names "no such file or directory", not a timeout.
			if (ctx.Err() != nil || deadlinePassed(ctx)) && results[i].reason != "" {
				continue
			}
			results[i] = probeResult{path: path, reason: probeReason(err)}
		}
		if attempt == 1 {
			log.Info("CRI runtime socket not answering yet; waiting for it", "endpoints", describeProbes(results))
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", results, ctx.Err()
		case <-timer.C:
		}
		delay = min(2*delay, maxProbeDelay)
	}
}

// firstLook runs look, Dial's first probe of a socket or first version
// call, on ctx; if ctx's deadline passed before or during it, it runs it
// once more, bounded by answerTimeout instead. A process starved for the
// whole ConnectTimeout on a loaded machine still asks once, so its error
// says what the runtime answered ("no such file or directory", "server is
// not initialized yet") rather than that nothing was asked in time. Later
// looks, and a caller's cancellation, end with ctx.
func firstLook(ctx context.Context, first bool, look func(context.Context) error) error {
	err := look(ctx)
	if err == nil || !first || !deadlinePassed(ctx) {
		return err
	}
	again, cancel := context.WithTimeout(context.WithoutCancel(ctx), answerTimeout)
	defer cancel()
	return look(again)
}

// deadlinePassed reports whether ctx has ended by its deadline, or will as
// soon as its timer fires: in a starved process the clock can be past the
// deadline, and a dial or call already failed by it, while ctx.Err() is
// still nil.
func deadlinePassed(ctx context.Context) bool {
	if err := ctx.Err(); err != nil {
		return errors.Is(err, context.DeadlineExceeded)
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// answerTimeout bounds Answers' single attempt.
const answerTimeout = time.Second

// Answers reports whether the socket of endpoint ("unix:///path" or
// "/path") accepts a connection now. Unlike Dial it does not wait for a
// runtime that is not up yet.
func Answers(ctx context.Context, endpoint string) bool {
	path, err := socketPath(endpoint)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	return probe(ctx, path) == nil
}

// probe opens and closes one connection to the socket.
func probe(ctx context.Context, path string) error {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "unix", path)
	if err != nil {
		return err
	}
	return conn.Close()
}

// probeReason reduces a dial error to the part a person can act on.
func probeReason(err error) string {
	var syscallErr *os.SyscallError
	if errors.As(err, &syscallErr) {
		return syscallErr.Err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "no answer in time"
	}
	return err.Error()
}

// describeProbes lists each endpoint with why it failed, on one line.
func describeProbes(results []probeResult) string {
	parts := make([]string, 0, len(results))
	for _, r := range results {
		if r.reason == "" {
			parts = append(parts, endpointURL(r.path))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", endpointURL(r.path), r.reason))
	}
	return strings.Join(parts, ", ")
}

// unreachableError reports that no runtime answered during Dial. It wraps
// the context error so callers can tell a timeout from a cancellation.
type unreachableError struct {
	probes     []probeResult
	autodetect bool
	cause      error
}

func (e *unreachableError) Error() string {
	if e.autodetect {
		return fmt.Sprintf("no CRI runtime answered at %s: is containerd or CRI-O running? set --runtime-endpoint", describeProbes(e.probes))
	}
	return fmt.Sprintf("no CRI runtime answered at %s: is the runtime running? check --runtime-endpoint", describeProbes(e.probes))
}

func (e *unreachableError) Unwrap() error { return e.cause }
