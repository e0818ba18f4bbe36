package cri

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var (
	_ internalapi.RuntimeService      = (*Client)(nil)
	_ internalapi.ImageManagerService = (*Client)(nil)
)

// criV1 is the only runtime_api_version the client accepts.
const criV1 = "v1"

// maxMsgSize matches kubelet's: ListContainers on a busy node outgrows
// gRPC's 4 MiB default.
const maxMsgSize = 16 << 20

// Client talks to one CRI v1 runtime. It is safe for concurrent use.
type Client struct {
	cfg      Config
	endpoint string
	conn     *grpc.ClientConn
	runtime  runtimeapi.RuntimeServiceClient
	images   runtimeapi.ImageServiceClient
	version  *runtimeapi.VersionResponse
	// availability follows whether the runtime answers (availability.go).
	availability *availability
}

// Dial connects to the runtime named by cfg.Endpoint, or to the first of
// cfg.DetectEndpoints that answers, retrying until cfg.ConnectTimeout or ctx
// ends. It then asks the runtime for its version and refuses one that does
// not speak CRI v1.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	autodetect := cfg.Endpoint == ""
	candidates := []string{cfg.Endpoint}
	if autodetect {
		candidates = cfg.DetectEndpoints
	}
	paths := make([]string, 0, len(candidates))
	for _, endpoint := range candidates {
		path, err := socketPath(endpoint)
		if err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no CRI runtime endpoint to try: set --runtime-endpoint")
	}

	ctx, cancel := connectContext(ctx, cfg)
	defer cancel()
	path, probes, err := waitForSocket(ctx, paths, cfg.Logger, probe)
	if err != nil {
		return nil, &unreachableError{probes: probes, autodetect: autodetect, cause: err}
	}
	client, err := newClient(cfg, path)
	if err != nil {
		return nil, err
	}
	if err := client.checkVersionWhenReady(ctx); err != nil {
		_ = client.conn.Close()
		return nil, err
	}
	cfg.Logger.Info("connected to CRI runtime", "endpoint", client.endpoint,
		"runtime", client.RuntimeName(), "version", client.RuntimeVersion())
	return client, nil
}

// connectContext bounds Dial by ConnectTimeout, or by ctx alone when the
// client waits for its runtime.
func connectContext(ctx context.Context, cfg Config) (context.Context, context.CancelFunc) {
	if cfg.WaitForRuntime {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, cfg.ConnectTimeout)
}

// newClient builds the (lazy) gRPC channel to a socket that answered.
func newClient(cfg Config, path string) (*Client, error) {
	endpoint := endpointURL(path)
	// gRPC's reconnect backoff defaults to a 2-minute cap; after a runtime
	// restart we want to be back within a couple of seconds.
	reconnect := grpc.ConnectParams{
		Backoff: backoff.Config{
			BaseDelay:  100 * time.Millisecond,
			Multiplier: 1.6,
			Jitter:     0.2,
			MaxDelay:   2 * time.Second,
		},
		MinConnectTimeout: cfg.ConnectTimeout,
	}
	conn, err := grpc.NewClient(endpoint,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(reconnect),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMsgSize),
			grpc.MaxCallSendMsgSize(maxMsgSize),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("setting up gRPC channel to %s: %w", endpoint, err)
	}
	c := &Client{
		cfg:      cfg,
		endpoint: endpoint,
		conn:     conn,
		runtime:  runtimeapi.NewRuntimeServiceClient(conn),
		images:   runtimeapi.NewImageServiceClient(conn),
	}
	c.availability = newAvailability(endpoint, cfg.Logger, c.probeVersion)
	return c, nil
}

// checkVersionWhenReady asks the runtime for its version until it answers
// one: a runtime just started accepts connections before its CRI service is
// up (containerd 1.6 answers "server is not initialized yet" meanwhile), so
// such an error is waited out, within Dial's bound, and said once. A
// refusal (not CRI v1) is final.
func (c *Client) checkVersionWhenReady(ctx context.Context) error {
	delay := firstProbeDelay
	var last error // the runtime's last real answer
	for attempt := 1; ; attempt++ {
		var refused bool
		err := firstLook(ctx, attempt == 1, func(ctx context.Context) error {
			var err error
			refused, err = c.checkVersion(ctx)
			return err
		})
		if err == nil || refused {
			return err
		}
		// A call the deadline cut says nothing new about the runtime.
		if last == nil || (ctx.Err() == nil && !deadlinePassed(ctx)) {
			last = err
		}
		if attempt == 1 {
			c.cfg.Logger.Info("CRI runtime answers but is not ready yet; waiting for it", "endpoint", c.endpoint, "error", err)
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return last
		case <-timer.C:
		}
		delay = min(2*delay, maxProbeDelay)
	}
}

// checkVersion records the runtime's identity and refuses anything but CRI
// v1; refused says the runtime answered and is not one to use.
func (c *Client) checkVersion(ctx context.Context) (refused bool, err error) {
	resp, err := c.Version(ctx, criV1)
	if status.Code(err) == codes.Unimplemented {
		return true, fmt.Errorf("the runtime at %s does not serve CRI v1 (runtime.v1.RuntimeService is unimplemented): minikubelet needs containerd >= 1.6 or CRI-O >= 1.20", c.endpoint)
	}
	if err != nil {
		return false, fmt.Errorf("asking the runtime at %s for its version: %w", c.endpoint, err)
	}
	if resp.GetRuntimeApiVersion() != criV1 {
		return true, fmt.Errorf("the runtime at %s (%s %s) speaks CRI %q, but minikubelet needs CRI %q: upgrade to containerd >= 1.6 or CRI-O >= 1.20",
			c.endpoint, resp.GetRuntimeName(), resp.GetRuntimeVersion(), resp.GetRuntimeApiVersion(), criV1)
	}
	c.version = resp
	return false, nil
}

// Endpoint returns the socket the client is connected to, as
// "unix:///path".
func (c *Client) Endpoint() string { return c.endpoint }

// RuntimeName returns the runtime's name from its Version reply, e.g.
// "containerd".
func (c *Client) RuntimeName() string { return c.version.GetRuntimeName() }

// RuntimeVersion returns the runtime's own version from its Version reply,
// e.g. "1.6.20".
func (c *Client) RuntimeVersion() string { return c.version.GetRuntimeVersion() }

// Close shuts the gRPC channel down; calls in flight fail with Canceled.
// ctx is unused: closing does not wait on the runtime.
func (c *Client) Close(ctx context.Context) error {
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("closing connection to %s: %w", c.endpoint, err)
	}
	return nil
}
