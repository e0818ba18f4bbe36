// Package managed is the containerd minikubelet starts, adopts and
// supervises when no CRI runtime is given, as k3s does: its config (see
// containerdconfig), its process in a session of its own that outlives
// the agent, restarts with backoff, a bounded log, and the pause image
// built into the binary (pause_gen.go), imported so that no registry on
// the internet is needed.
//
// Everything lives under Config.RootDir/containerd and Config.RunDir, so it
// never meets a system containerd; a later agent with the same directories
// finds it by its config path and adopts it.
package managed

import (
	"context"
	"fmt"
	"k8s.io/apimachinery/pkg/util/wait"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/minikubelet/minikubelet/cri"
)

// Config says where the managed containerd lives and how it runs; the
// fields are `minikubelet run` flags of the same names.
type Config struct {
	// RootDir holds containerd's config, images and log under
	// RootDir/containerd; RunDir its sockets, state and runc root.
	RootDir string
	RunDir  string
	// CNIConfDir is the CNI conf dir containerd reads; CNIBinDirs the
	// search path for plugins, of which containerd 1.x takes the first
	// holding the bridge plugin.
	CNIConfDir string
	CNIBinDirs []string
	// SandboxImage is the pause image; empty means the one built into the
	// binary, or registry.k8s.io's when there is none.
	SandboxImage string
	// InsecureRegistries are pulled from over plain HTTP.
	InsecureRegistries []string
	// StopOnExit stops containerd in Release instead of leaving it running
	// for the next agent.
	StopOnExit bool
	Logger     *slog.Logger
}

// Socket is the managed containerd's CRI socket. It answering before Start
// means a managed containerd runs already (it holds our pods).
func (c Config) Socket() string { return filepath.Join(c.RunDir, "containerd.sock") }

// Start writes the config and starts the managed containerd, or adopts the
// one an earlier agent left running (restarting it if its config
// changed). It returns once containerd's socket answers; the caller must
// run Supervise and call Release when done.
func Start(ctx context.Context, cfg Config) (*Containerd, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	binary, err := findContainerd()
	if err != nil {
		return nil, err
	}
	sandboxImage, archive, err := chooseSandboxImage(cfg.SandboxImage, embeddedPauseArchive, log)
	if err != nil {
		return nil, err
	}
	paths := newPaths(cfg)
	config, err := renderConfig(paths, sandboxImage)
	if err != nil {
		return nil, err
	}
	managed := &Containerd{
		paths: paths, binary: binary, stopOnExit: cfg.StopOnExit, log: log,
		sandboxImage: sandboxImage, pauseArchive: archive,
	}
	if err := managed.start(ctx, config, cfg.InsecureRegistries); err != nil {
		return nil, err
	}
	return managed, nil
}

// Endpoint is the managed containerd's CRI endpoint.
func (m *Containerd) Endpoint() string { return "unix://" + m.paths.Socket }

// Connect dials the managed containerd through dial once it serves CRI,
// and imports the embedded pause image when it lacks it: pods cannot
// start without one.
func (m *Containerd) Connect(ctx context.Context, dial func(endpoint string) (*cri.Client, error)) (*cri.Client, error) {
	client, err := m.dialWhenServing(ctx, dial)
	if err != nil {
		return nil, err
	}
	if err := m.ensureSandboxImage(ctx, client); err != nil {
		_ = client.Close(context.Background())
		return nil, err
	}
	return client, nil
}

// dialWhenServing retries while containerd's CRI plugin is still
// initializing: the socket answers before the CRI service does ("server
// is not initialized yet"), for longer when it has pods to recover.
func (m *Containerd) dialWhenServing(ctx context.Context, dial func(string) (*cri.Client, error)) (*cri.Client, error) {
	var client *cri.Client
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, containerdStartTimeout, true, func(context.Context) (bool, error) {
		client, lastErr = dial(m.Endpoint())
		if lastErr != nil && m.proc.hasExited() {
			return false, lastErr
		}
		return lastErr == nil, nil
	})
	if err != nil {
		if lastErr == nil {
			lastErr = err
		}
		return nil, fmt.Errorf("the managed containerd does not serve CRI: %w; see its log %s", lastErr, m.paths.Log)
	}
	return client, nil
}
