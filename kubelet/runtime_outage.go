package kubelet

import (
	"context"
	"errors"
	"log/slog"
	"syscall"

	"github.com/minikubelet/minikubelet/cri"
)

// While the runtime is away, the CRI client's availability watcher says so
// once and once more when it is back (cri.Client.WatchAvailability). The
// sync loop's long loops — the relister, the event stream, each pod's
// worker — wait for it meanwhile instead of failing a call per pod per
// second, and a failure the outage explains is logged at debug level only.

// waitRuntime blocks while the runtime is known to be down, and returns
// ctx's error if ctx ends first.
func waitRuntime(ctx context.Context, wait func(context.Context) error) error {
	if wait == nil {
		return nil
	}
	return wait(ctx)
}

// warnUnlessOutage logs a failure as a warning, or at debug level when an
// outage the agent reports once elsewhere explains it: the runtime away
// (the CRI client says so) or a full disk (the agent's disk watch does).
// The pod's status still shows the failure.
func warnUnlessOutage(log *slog.Logger, err error, msg string, args ...any) {
	level := slog.LevelWarn
	if cri.IsUnavailable(err) || errors.Is(err, syscall.ENOSPC) {
		level = slog.LevelDebug
	}
	log.Log(context.Background(), level, msg, append(args, "err", err)...)
}
