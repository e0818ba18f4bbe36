package portforward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
)

// Options configure a port-forward session; `minikubelet port-forward`
// fills them from its flags.
type Options struct {
	// Server is the agent's API: "http://127.0.0.1:10350", an https URL,
	// or "unix:///path" for an agent listening on a unix socket.
	Server string
	// Namespace and Pod name the pod; Namespace "" means "default".
	Namespace, Pod string
	// Addresses are the local addresses to listen on; nil means
	// "localhost" (127.0.0.1 and ::1, as kubectl).
	Addresses []string
	// Ports are "[LOCAL:]REMOTE[/tcp|/udp]" specs; REMOTE may be a
	// container port's name.
	Ports []string
	// UDP forwards every port given without a protocol over UDP too.
	UDP bool
	// Direct says when to bypass the runtime's tunnel; "" means auto.
	Direct DirectMode
	// KernelRedirect lets the session, where it may (Linux, root, cgroup
	// v2), redirect local connections to its 127.0.0.1 TCP ports straight
	// to the pod IP inside the kernel, so forwarded bytes never pass
	// through this process. It applies to ports the direct path serves.
	KernelRedirect bool
	// Out receives one "Forwarding from …" line per local socket; nil
	// discards them.
	Out io.Writer
	// Logger receives diagnostics: failed connections, path changes; nil
	// discards them.
	Logger *slog.Logger
	// Token is the bearer token for an agent run with --token-file.
	Token string
	// TLSConfig checks an https Server; nil uses the system's roots.
	TLSConfig *tls.Config

	// PodCheckInterval is how often the session checks that the pod still
	// exists; 0 means 2 seconds.
	PodCheckInterval time.Duration
	// DirectDialTimeout bounds a dial to the pod IP before auto mode falls
	// back to the tunnel; 0 means one second.
	DirectDialTimeout time.Duration
	// TunnelDialTimeout bounds opening the tunnel; 0 means 30 seconds.
	TunnelDialTimeout time.Duration
	// PingPeriod is how often the tunnel sends SPDY pings, which keep
	// idle tunnels alive through middleboxes; 0 means 30 seconds.
	PingPeriod time.Duration
	// UDPIdleTimeout is how long a UDP client's mapping lives without
	// traffic; 0 means 5 minutes.
	UDPIdleTimeout time.Duration
}

// withDefaults validates the options and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Pod == "" {
		return o, errors.New("port-forward: no pod given")
	}
	if len(o.Ports) == 0 {
		return o, fmt.Errorf("port-forward to pod %s: no ports given; write [LOCAL:]REMOTE, e.g. 8080:8080", o.Pod)
	}
	mode, err := ParseDirectMode(string(o.Direct))
	if err != nil {
		return o, err
	}
	o.Direct = mode
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if len(o.Addresses) == 0 {
		o.Addresses = []string{localhost}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.PodCheckInterval = orDefault(o.PodCheckInterval, 2*time.Second)
	o.DirectDialTimeout = orDefault(o.DirectDialTimeout, time.Second)
	o.TunnelDialTimeout = orDefault(o.TunnelDialTimeout, 30*time.Second)
	o.PingPeriod = orDefault(o.PingPeriod, 30*time.Second)
	o.UDPIdleTimeout = orDefault(o.UDPIdleTimeout, 5*time.Minute)
	return o, nil
}

// Run forwards until ctx ends (returning nil) or the session cannot go on,
// e.g. because the pod was deleted (a *PodGoneError).
func Run(ctx context.Context, opts Options) error {
	session, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	return session.Wait()
}

// Start looks the pod up, binds every local port, prints the Forwarding
// lines and starts forwarding in the background.
func Start(ctx context.Context, opts Options) (*Session, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	agent, err := newAgentClient(opts.Server, opts.Token, opts.TLSConfig)
	if err != nil {
		return nil, err
	}
	path, err := choosePath(ctx, opts, agent)
	if err != nil {
		agent.close()
		return nil, err
	}
	opts.Direct = path.mode
	session, err := start(ctx, opts, agent, path)
	if err != nil {
		agent.close()
	}
	return session, err
}

func start(ctx context.Context, opts Options, agent *agentClient, path pathChoice) (*Session, error) {
	specs := make([]PortSpec, 0, len(opts.Ports))
	for _, text := range opts.Ports {
		spec, err := ParsePortSpec(text)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	pod, err := fetchPod(ctx, agent, opts.Namespace, opts.Pod)
	if err != nil {
		return nil, err
	}
	if err := checkRunning(pod); err != nil {
		return nil, err
	}
	forwards, err := resolveForwards(specs, pod, opts.UDP)
	if err != nil {
		return nil, err
	}
	if opts.Direct == DirectNever && hasUDP(forwards) {
		if !path.serverLocal {
			return nil, fmt.Errorf("UDP is forwarded straight to the pod IP, which is only done when --server is this node, and %s; the runtime's tunnel carries TCP only", path.why)
		}
		return nil, errors.New("UDP is forwarded straight to the pod IP, which --direct=never forbids; the runtime's tunnel carries TCP only")
	}
	return startSession(ctx, opts, agent, pod, forwards)
}

// pathChoice is the session's path mode and why it was chosen.
type pathChoice struct {
	mode        DirectMode
	serverLocal bool
	why         string
}

// choosePath decides, once per session, whether connections may go
// straight to the pod IP: only when the server is this host.
func choosePath(ctx context.Context, opts Options, agent *agentClient) (pathChoice, error) {
	local, why := serverIsThisHost(lookupServerFacts(ctx, agent))
	mode, err := effectiveDirectMode(opts.Direct, local, why)
	if err != nil {
		return pathChoice{}, err
	}
	opts.Logger.Debug("port-forward path chosen", "mode", mode, "asked", opts.Direct, "serverIsThisHost", local, "why", why)
	return pathChoice{mode: mode, serverLocal: local, why: why}, nil
}

func hasUDP(forwards []forwarding) bool {
	for _, fwd := range forwards {
		if fwd.Protocol == v1.ProtocolUDP {
			return true
		}
	}
	return false
}
