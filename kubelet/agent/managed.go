package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/minikubelet/minikubelet/cri"
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
// *managedContainerd is nil otherwise. The caller must run its Supervise
// and call its release when done.
func connectRuntime(ctx context.Context, opts Options, observer cri.Observer, log *slog.Logger) (*cri.Client, *managedContainerd, error) {
	dial := func(endpoint string) (*cri.Client, error) {
		return cri.Dial(ctx, cri.Config{Endpoint: endpoint, Observer: observer, Logger: log.With("component", "cri")})
	}
	if opts.RuntimeEndpoint != "" || opts.ManagedRuntime == ManagedRuntimeNever {
		client, err := dial(opts.RuntimeEndpoint)
		return client, nil, err
	}
	paths := newManagedPaths(opts)
	// A managed containerd that still runs holds our pods: it comes first,
	// even if another runtime has appeared since.
	if opts.ManagedRuntime == ManagedRuntimeAuto && !socketAnswers(paths.Socket) {
		if endpoint := firstAnswering(cri.DefaultEndpoints()); endpoint != "" {
			client, err := dial(endpoint)
			return client, nil, err
		}
	}
	managed, err := startManaged(ctx, opts, paths, log.With("component", "containerd"))
	if err != nil {
		return nil, nil, err
	}
	client, err := managed.dialWhenServing(ctx, dial)
	if err == nil {
		err = managed.ensureSandboxImage(ctx, client)
	}
	if err != nil {
		if client != nil {
			_ = client.Close(context.Background())
		}
		managed.release()
		return nil, nil, err
	}
	return client, managed, nil
}

// startManaged prepares the managed containerd and starts or adopts it.
func startManaged(ctx context.Context, opts Options, paths managedPaths, log *slog.Logger) (*managedContainerd, error) {
	binary, err := findContainerd()
	if err != nil {
		if opts.ManagedRuntime == ManagedRuntimeAuto {
			return nil, fmt.Errorf("no CRI runtime answered at %s, and %w", strings.Join(cri.DefaultEndpoints(), ", "), err)
		}
		return nil, err
	}
	sandboxImage, archive, err := chooseSandboxImage(opts.SandboxImage, embeddedPauseArchive, log)
	if err != nil {
		return nil, err
	}
	config, err := renderContainerdConfig(paths, sandboxImage)
	if err != nil {
		return nil, err
	}
	managed := &managedContainerd{
		paths: paths, binary: binary, stopOnExit: opts.StopRuntimeOnExit, log: log,
		sandboxImage: sandboxImage, pauseArchive: archive,
	}
	if err := managed.start(ctx, config, opts.InsecureRegistries); err != nil {
		return nil, err
	}
	return managed, nil
}

// firstAnswering returns the first endpoint whose socket accepts a
// connection now, or "". Unlike cri.Dial it does not wait: a runtime that
// is not up yet is one the agent will replace with its own.
func firstAnswering(endpoints []string) string {
	for _, endpoint := range endpoints {
		if socketAnswers(strings.TrimPrefix(endpoint, "unix://")) {
			return endpoint
		}
	}
	return ""
}

// dialWhenServing connects to the managed containerd, retrying while its
// CRI plugin is still initializing: the socket answers before the CRI
// service does ("server is not initialized yet"), for longer when it has
// pods to recover.
func (m *managedContainerd) dialWhenServing(ctx context.Context, dial func(string) (*cri.Client, error)) (*cri.Client, error) {
	deadline := time.Now().Add(containerdStartTimeout)
	for {
		client, err := dial(m.paths.endpoint())
		if err == nil {
			return client, nil
		}
		if time.Now().After(deadline) || m.proc.hasExited() || ctx.Err() != nil {
			return nil, fmt.Errorf("the managed containerd does not serve CRI: %w; see its log %s", err, m.paths.Log)
		}
		if !sleepContext(ctx, 100*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}
