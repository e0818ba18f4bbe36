package portforward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/proxy"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/minikubelet/minikubelet/kubelet/streamproxy"
)

// Routes of the port-forward API, in Go 1.22 ServeMux syntax without a
// method: the handler itself accepts GET (WebSocket) and POST (SPDY) on
// each. The {uid} form refuses a pod that was replaced since the client
// looked it up.
const (
	KubeletPattern    = "/portForward/{namespace}/{pod}"
	KubeletUIDPattern = "/portForward/{namespace}/{pod}/{uid}"
	APIPattern        = "/api/v1/namespaces/{namespace}/pods/{pod}/portforward"
)

// Patterns lists the routes the agent mounts the handler on.
func Patterns() []string { return []string{KubeletPattern, KubeletUIDPattern, APIPattern} }

// ErrNotFound is wrapped by a PodLocator's error when the node has no such
// pod; the handler answers 404 for it.
var ErrNotFound = errors.New("not found")

// PodLocator finds a pod's sandbox. The agent implements it from the sync
// loop's state.
type PodLocator interface {
	// PodSandbox returns the pod's current sandbox; an unknown pod gives an
	// error wrapping ErrNotFound.
	PodSandbox(ctx context.Context, namespace, name string) (Sandbox, error)
}

// Sandbox is what port-forwarding needs to know about a pod.
type Sandbox struct {
	// ID is the runtime's ID of the pod's sandbox; "" while it has none
	// that is ready.
	ID string
	// PodUID is the pod's UID, checked against the {uid} route; "" skips
	// the check.
	PodUID types.UID
	// PodIP is the sandbox's IP; informational here.
	PodIP string
	// Ports are the container ports of the pod's spec, to resolve named
	// ports in WebSocket requests.
	Ports []v1.ContainerPort
}

// Runtime is the CRI call the handler makes; *cri.Client implements it.
type Runtime interface {
	PortForward(ctx context.Context, request *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error)
}

// HandlerConfig configures NewHandler.
type HandlerConfig struct {
	// Pods finds pods; required.
	Pods PodLocator
	// Runtime hands out streaming URLs; required.
	Runtime Runtime
	// Logger receives one line per tunnel; nil discards.
	Logger *slog.Logger
	// StreamingBase completes a streaming URL the runtime returns without
	// a host (":port", "0.0.0.0") or as a bare path; nil means
	// http://127.0.0.1, where node-local runtimes listen.
	StreamingBase *url.URL
	// CallTimeout bounds the CRI PortForward call; 0 means 10 seconds.
	CallTimeout time.Duration
	// DialTimeout bounds connecting to the runtime's streaming server; 0
	// means 10 seconds. Open tunnels have no idle timeout of our own.
	DialTimeout time.Duration
	// PodCheckInterval is how often an open tunnel checks that its pod and
	// sandbox still exist, and is cut when not; 0 means 2 seconds.
	PodCheckInterval time.Duration
}

// NewHandler returns the agent side of port-forward for the routes in
// Patterns. Each request must be a SPDY (kubectl, client-go, minikubelet
// port-forward) or WebSocket upgrade; the handler resolves the pod, asks
// the runtime for a streaming URL and proxies the upgraded connection to
// it until either side closes, the pod goes away or the request's context
// ends (set http.Server.BaseContext to end tunnels with the agent).
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if cfg.Pods == nil || cfg.Runtime == nil {
		return nil, errors.New("port-forward handler: Pods and Runtime are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StreamingBase == nil {
		cfg.StreamingBase = streamproxy.DefaultBase()
	}
	cfg.CallTimeout = orDefault(cfg.CallTimeout, 10*time.Second)
	cfg.DialTimeout = orDefault(cfg.DialTimeout, 10*time.Second)
	cfg.PodCheckInterval = orDefault(cfg.PodCheckInterval, 2*time.Second)
	h := &handler{cfg: cfg, transport: &http.Transport{
		// proxy.DialURL takes the dialer from here; no other field is used.
		DialContext: (&net.Dialer{Timeout: cfg.DialTimeout}).DialContext,
	}}
	mux := http.NewServeMux()
	for _, pattern := range Patterns() {
		mux.HandleFunc("GET "+pattern, h.serve)
		mux.HandleFunc("POST "+pattern, h.serve)
	}
	return mux, nil
}

func orDefault(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

type handler struct {
	cfg       HandlerConfig
	transport *http.Transport
}

// requestError is a refusal with the status code it is answered with.
type requestError struct {
	status int
	err    error
}

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

func refuse(status int, format string, args ...any) *requestError {
	return &requestError{status: status, err: fmt.Errorf(format, args...)}
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	ns, pod := r.PathValue("namespace"), r.PathValue("pod")
	log := h.cfg.Logger.With("namespace", ns, "pod", pod, "client", r.RemoteAddr)
	sandbox, location, err := h.prepare(r, ns, pod)
	if err != nil {
		status := http.StatusInternalServerError
		var refusal *requestError
		if errors.As(err, &refusal) {
			status = refusal.status
		}
		log.Info("port-forward refused", "status", status, "err", err)
		http.Error(w, err.Error(), status)
		return
	}
	h.proxy(w, r, sandbox, location, log)
}

// prepare checks the request and turns it into the runtime URL to proxy to.
func (h *handler) prepare(r *http.Request, ns, pod string) (Sandbox, *url.URL, error) {
	if !httpstream.IsUpgradeRequest(r) {
		return Sandbox{}, nil, refuse(http.StatusBadRequest,
			"port-forward to pod %s/%s needs a SPDY or WebSocket upgrade request (Connection: Upgrade); use `minikubelet port-forward` or kubectl's client", ns, pod)
	}
	sandbox, err := h.cfg.Pods.PodSandbox(r.Context(), ns, pod)
	switch {
	case errors.Is(err, ErrNotFound):
		return Sandbox{}, nil, refuse(http.StatusNotFound, "pod %q not found in namespace %q on this node: %w", pod, ns, err)
	case err != nil:
		return Sandbox{}, nil, fmt.Errorf("looking up pod %s/%s: %w", ns, pod, err)
	case r.PathValue("uid") != "" && sandbox.PodUID != "" && types.UID(r.PathValue("uid")) != sandbox.PodUID:
		return Sandbox{}, nil, refuse(http.StatusNotFound,
			"pod %s/%s with UID %s not found: the pod now has UID %s (it was deleted and created again)", ns, pod, r.PathValue("uid"), sandbox.PodUID)
	case sandbox.ID == "":
		return Sandbox{}, nil, refuse(http.StatusConflict, "pod %s/%s has no running sandbox yet; wait until it is Running", ns, pod)
	}
	ports, query, err := requestedPorts(r.URL.Query(), sandbox.Ports)
	if err != nil {
		return Sandbox{}, nil, refuse(http.StatusBadRequest, "port-forward to pod %s/%s: %w", ns, pod, err)
	}
	location, err := h.streamingURL(r.Context(), sandbox.ID, ports)
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return Sandbox{}, nil, refuse(http.StatusNotFound, "pod %s/%s: its sandbox %s is gone from the runtime: %w", ns, pod, sandbox.ID, err)
		}
		return Sandbox{}, nil, refuse(http.StatusBadGateway, "port-forward to pod %s/%s: %w", ns, pod, err)
	}
	location.RawQuery = query.Encode()
	return sandbox, location, nil
}

// streamingURL asks the runtime where to connect for this sandbox.
func (h *handler) streamingURL(ctx context.Context, sandboxID string, ports []int32) (*url.URL, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.CallTimeout)
	defer cancel()
	resp, err := h.cfg.Runtime.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: sandboxID, Port: ports})
	if err != nil {
		return nil, fmt.Errorf("asking the runtime to port-forward into sandbox %s: %w", sandboxID, err)
	}
	return streamproxy.ResolveURL(resp.GetUrl(), h.cfg.StreamingBase)
}

// proxy hands the upgraded connection to the runtime's streaming server
// and keeps it until one side closes or the pod goes away.
func (h *handler) proxy(w http.ResponseWriter, r *http.Request, sandbox Sandbox, location *url.URL, log *slog.Logger) {
	started := time.Now()
	tracker := streamproxy.NewTracker(w, 0)
	stopOnShutdown := context.AfterFunc(r.Context(), func() { tracker.Cut("the agent is stopping") })
	defer stopOnShutdown()
	watchCtx, stopWatch := context.WithCancel(r.Context())
	defer stopWatch()
	go h.watchPod(watchCtx, r.PathValue("namespace"), r.PathValue("pod"), sandbox.ID, tracker)

	upstream := proxy.NewUpgradeAwareHandler(location, h.transport, false, true, responder{log: log})
	// The proxy logs through klog's contextual logger; hand it ours so its
	// lines are structured like the rest of the agent's.
	r = r.WithContext(klog.NewContext(r.Context(), logr.FromSlogHandler(log.Handler())))
	upstream.ServeHTTP(tracker, r)
	if tracker.Hijacked() {
		log.Info("port-forward tunnel closed", "sandbox", sandbox.ID, "duration", time.Since(started).Round(time.Millisecond), "reason", tracker.Reason())
	}
}

// watchPod cuts the tunnel once the pod is deleted or gets a new sandbox:
// runtimes keep a streaming connection open after its sandbox is gone, so
// without this the client would never learn that its pod went away.
func (h *handler) watchPod(ctx context.Context, ns, pod, sandboxID string, tracker *streamproxy.Tracker) {
	ticker := time.NewTicker(h.cfg.PodCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		current, err := h.cfg.Pods.PodSandbox(ctx, ns, pod)
		switch {
		case errors.Is(err, ErrNotFound):
			tracker.Cut(fmt.Sprintf("pod %s/%s was deleted", ns, pod))
			return
		case err == nil && current.ID != sandboxID:
			tracker.Cut(fmt.Sprintf("pod %s/%s got a new sandbox", ns, pod))
			return
		}
	}
}

// responder answers errors met before the upgrade, e.g. a streaming server
// that cannot be reached.
type responder struct{ log *slog.Logger }

// Error implements proxy.ErrorResponder.
func (rs responder) Error(w http.ResponseWriter, _ *http.Request, err error) {
	rs.log.Warn("port-forward proxy failed", "err", err)
	http.Error(w, fmt.Sprintf("port-forward: reaching the runtime's streaming server: %v", err), http.StatusBadGateway)
}
