package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/cri/managed"
)

// Values of Options.ManagedRuntime (--managed-runtime): when the agent runs
// a containerd of its own, as k3s does, rather than use one that runs
// already. --runtime-endpoint always means "use that one".
const (
	// ManagedRuntimeAuto starts (or adopts) the managed containerd only
	// when no runtime answers at cri.DefaultEndpoints.
	ManagedRuntimeAuto = "auto"
	// ManagedRuntimeAlways uses the managed containerd even when another
	// runtime answers, e.g. a system containerd whose config cannot run
	// pods on this host.
	ManagedRuntimeAlways = "always"
	// ManagedRuntimeNever only connects to a runtime that runs already.
	ManagedRuntimeNever = "never"
)

// managedRuntimeModes lists the valid values, for validation messages.
var managedRuntimeModes = []string{ManagedRuntimeAuto, ManagedRuntimeAlways, ManagedRuntimeNever}

// connectRuntime connects to the runtime the options choose, starting or
// adopting the managed containerd when that is the choice; the returned
// *managed.Containerd is nil otherwise. The caller must run its Supervise
// and call its Release when done.
func connectRuntime(ctx context.Context, opts Options, observer cri.Observer, log *slog.Logger) (*cri.Client, *managed.Containerd, error) {
	dial := func(endpoint string) (*cri.Client, error) {
		return cri.Dial(ctx, cri.Config{Endpoint: endpoint, Observer: observer, Logger: log.With("component", "cri")})
	}
	if opts.RuntimeEndpoint != "" || opts.ManagedRuntime == ManagedRuntimeNever {
		// The runtime is the operator's to start: one that is not up yet
		// (boot order, a restart) is waited for, as one that goes away later.
		client, err := cri.Dial(ctx, cri.Config{Endpoint: opts.RuntimeEndpoint, WaitForRuntime: true,
			Observer: observer, Logger: log.With("component", "cri")})
		return client, nil, err
	}
	cfg := managedConfig(opts, log)
	// A managed containerd that still runs holds our pods: it comes first,
	// even if another runtime has appeared since.
	if opts.ManagedRuntime == ManagedRuntimeAuto && !cri.Answers(ctx, cfg.Socket()) {
		if endpoint := firstAnswering(ctx, cri.DefaultEndpoints()); endpoint != "" {
			client, err := dial(endpoint)
			return client, nil, err
		}
	}
	containerd, err := managed.Start(ctx, cfg)
	var notInstalled *managed.NotInstalledError
	if errors.As(err, &notInstalled) && opts.ManagedRuntime == ManagedRuntimeAuto {
		return nil, nil, fmt.Errorf("no CRI runtime answered at %s, and %w", strings.Join(cri.DefaultEndpoints(), ", "), err)
	}
	if err != nil {
		return nil, nil, err
	}
	client, err := containerd.Connect(ctx, dial)
	if err != nil {
		containerd.Release()
		return nil, nil, err
	}
	return client, containerd, nil
}

// managedConfig is the managed containerd's share of the options.
func managedConfig(opts Options, log *slog.Logger) managed.Config {
	return managed.Config{
		RootDir: opts.RootDir, RunDir: opts.RunDir,
		CNIConfDir: opts.CNIConfDir, CNIBinDirs: opts.CNIBinDirs,
		SandboxImage: opts.SandboxImage, InsecureRegistries: opts.InsecureRegistries,
		StopOnExit: opts.StopRuntimeOnExit, Logger: log.With("component", "containerd"),
	}
}

// firstAnswering returns the first endpoint whose socket accepts a
// connection now, or "". Unlike cri.Dial it does not wait: a runtime that
// is not up yet is one the agent will replace with its own.
func firstAnswering(ctx context.Context, endpoints []string) string {
	for _, endpoint := range endpoints {
		if cri.Answers(ctx, endpoint) {
			return endpoint
		}
	}
	return ""
}
