package streaming

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/klog/v2"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/wsstream"

	"github.com/minikubelet/minikubelet/kubelet/streamproxy"
)

// Defaults of HandlerConfig.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultDialTimeout = 10 * time.Second
	// DefaultIdleTimeout is the kubelet's --streaming-connection-idle-timeout.
	DefaultIdleTimeout = 4 * time.Hour
	// DefaultMaxSessions bounds open exec and attach sessions together.
	DefaultMaxSessions = 64
)

// HandlerConfig configures NewHandler.
type HandlerConfig struct {
	// Containers finds containers; required.
	Containers ContainerLocator
	// Runtime hands out streaming URLs; required.
	Runtime Runtime
	// Logger receives one line per session start, end and refusal; nil
	// discards.
	Logger *slog.Logger
	// StreamingBase completes a streaming URL the runtime returns without
	// a host; nil means http://127.0.0.1.
	StreamingBase *url.URL
	// CallTimeout bounds the CRI Exec or Attach call; DialTimeout
	// connecting to the runtime's streaming server.
	CallTimeout, DialTimeout time.Duration
	// IdleTimeout ends a session that moved no byte for that long.
	IdleTimeout time.Duration
	// MaxSessions is how many sessions may be open at once; more are
	// refused with 429.
	MaxSessions int
}

// NewHandler returns exec and attach for the routes in Patterns. Each
// request must be a SPDY or WebSocket upgrade; sessions last until the
// process ends, either side closes, the idle timeout passes or the
// request's context ends (set http.Server.BaseContext to end them with
// the agent).
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if cfg.Containers == nil || cfg.Runtime == nil {
		return nil, errors.New("exec/attach handler: Containers and Runtime are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StreamingBase == nil {
		cfg.StreamingBase = streamproxy.DefaultBase()
	}
	cfg.CallTimeout = orDefault(cfg.CallTimeout, DefaultCallTimeout)
	cfg.DialTimeout = orDefault(cfg.DialTimeout, DefaultDialTimeout)
	cfg.IdleTimeout = orDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	h := &handler{
		cfg:   cfg,
		slots: make(chan struct{}, cfg.MaxSessions),
		transport: &http.Transport{
			// The upgrade dialers take the dialer from here; no other
			// field is used.
			DialContext: (&net.Dialer{Timeout: cfg.DialTimeout}).DialContext,
		},
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle("GET "+rt.pattern, h.serve(rt))
		mux.Handle("POST "+rt.pattern, h.serve(rt))
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
	// slots holds one token per open session.
	slots chan struct{}
}

// session is an accepted request, ready to be connected to the runtime.
type session struct {
	kind     Kind
	opts     Options
	location *url.URL
	log      *slog.Logger
}

func (h *handler) serve(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ns, pod := r.PathValue("namespace"), r.PathValue("pod")
		log := h.cfg.Logger.With("namespace", ns, "pod", pod, "client", r.RemoteAddr)
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			h.refused(w, log, rt.kind, &refusal{
				code: http.StatusTooManyRequests, reason: metav1.StatusReasonTooManyRequests, retryAfter: 10,
				err: fmt.Errorf("this node already has %d exec and attach sessions open, the most it allows; close one and try again", h.cfg.MaxSessions),
			})
			return
		}
		s, err := h.prepare(r, rt, log)
		if err != nil {
			var answer *refusal
			if !errors.As(err, &answer) {
				answer = &refusal{code: http.StatusInternalServerError, err: err}
			}
			h.refused(w, log, rt.kind, answer)
			return
		}
		// The runtime needs no credentials, and must not see the node's.
		r.Header.Del("Authorization")
		// The proxy and wsstream log through klog's contextual logger;
		// hand them ours so their lines are structured like the agent's.
		r = r.WithContext(klog.NewContext(r.Context(), logr.FromSlogHandler(s.log.Handler())))
		if wsstream.IsWebSocketRequestWithStreamCloseProtocol(r) {
			h.translate(w, r, s)
			return
		}
		h.proxy(w, r, s)
	}
}

func (h *handler) refused(w http.ResponseWriter, log *slog.Logger, kind Kind, answer *refusal) {
	log.Info(string(kind)+" refused", "status", answer.code, "err", answer.err)
	answer.write(w)
}

// prepare checks the request, finds the container and asks the runtime
// for the streaming URL to connect it to.
func (h *handler) prepare(r *http.Request, rt route, log *slog.Logger) (*session, error) {
	ns, pod := r.PathValue("namespace"), r.PathValue("pod")
	if !httpstream.IsUpgradeRequest(r) {
		return nil, refuse(http.StatusBadRequest, metav1.StatusReasonBadRequest,
			"%s in pod %s/%s needs a SPDY or WebSocket upgrade request (Connection: Upgrade); use kubectl %s or minikubelet %s", rt.kind, ns, pod, rt.kind, rt.kind)
	}
	opts, err := parseOptions(rt.kind, r.URL.Query())
	if err != nil {
		return nil, refuse(http.StatusBadRequest, metav1.StatusReasonBadRequest, "%s in pod %s/%s: %w", rt.kind, ns, pod, err)
	}
	name := cmpOr(r.PathValue("container"), opts.Container)
	container, err := h.locate(r.Context(), rt, ns, pod, name, types.UID(r.PathValue("uid")))
	if err != nil {
		return nil, err
	}
	location, err := h.streamingURL(r.Context(), rt.kind, container, opts)
	if err != nil {
		return nil, err
	}
	log = log.With("container", container.Name, "streams", opts.Streams.String())
	if rt.kind == KindExec {
		log = log.With("command", describe(opts.Command))
	}
	return &session{kind: rt.kind, opts: opts, location: location, log: log}, nil
}

func cmpOr(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// locate finds a running container and refuses the rest with the
// kubelet's and the API server's words.
func (h *handler) locate(ctx context.Context, rt route, ns, pod, name string, uid types.UID) (Container, error) {
	container, err := h.cfg.Containers.Container(ctx, ns, pod, name)
	switch {
	case errors.Is(err, ErrPodNotFound) && rt.api:
		return Container{}, refuse(http.StatusNotFound, metav1.StatusReasonNotFound, "pods %q not found", pod)
	case errors.Is(err, ErrPodNotFound):
		return Container{}, refuse(http.StatusNotFound, metav1.StatusReasonNotFound, "pod does not exist")
	case errors.Is(err, ErrContainerChoice):
		return Container{}, refuse(http.StatusBadRequest, metav1.StatusReasonBadRequest, "%s", choiceMessage(pod, container))
	case errors.Is(err, ErrNoSuchContainer):
		return Container{}, refuse(http.StatusBadRequest, metav1.StatusReasonBadRequest, "container %s is not valid for pod %s", name, pod)
	case err != nil:
		return Container{}, fmt.Errorf("looking up container %q of pod %s/%s: %w", name, ns, pod, err)
	case uid != "" && container.PodUID != "" && uid != container.PodUID:
		return Container{}, refuse(http.StatusNotFound, metav1.StatusReasonNotFound,
			"pod %s/%s with UID %s not found: the pod now has UID %s (it was deleted and created again)", ns, pod, uid, container.PodUID)
	case !container.Running || container.ID == "":
		// The kubelet finds only running containers and says this, which
		// kubectl shows as `unable to upgrade connection: container not
		// found ("NAME")`.
		return Container{}, &refusal{code: http.StatusInternalServerError, err: fmt.Errorf("container not found (%q)", container.Name)}
	}
	return container, nil
}

// choiceMessage is kube-apiserver's answer to a request that names no
// container of a pod that has several.
func choiceMessage(pod string, c Container) string {
	msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod, strings.Join(c.Containers, " "))
	if len(c.InitContainers) > 0 {
		msg += fmt.Sprintf(" or one of the init containers: [%s]", strings.Join(c.InitContainers, " "))
	}
	return msg
}

// streamingURL asks the runtime, under CallTimeout, where to connect.
func (h *handler) streamingURL(ctx context.Context, kind Kind, c Container, opts Options) (*url.URL, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.CallTimeout)
	defer cancel()
	var raw string
	var err error
	if kind == KindExec {
		var resp *runtimeapi.ExecResponse
		resp, err = h.cfg.Runtime.Exec(ctx, &runtimeapi.ExecRequest{
			ContainerId: c.ID, Cmd: opts.Command, Tty: opts.TTY, Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr,
		})
		raw = resp.GetUrl()
	} else {
		var resp *runtimeapi.AttachResponse
		resp, err = h.cfg.Runtime.Attach(ctx, &runtimeapi.AttachRequest{
			ContainerId: c.ID, Tty: opts.TTY, Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr,
		})
		raw = resp.GetUrl()
	}
	switch {
	case status.Code(err) == codes.NotFound:
		return nil, &refusal{code: http.StatusInternalServerError, err: fmt.Errorf("container not found (%q)", c.Name)}
	case err != nil:
		return nil, &refusal{code: http.StatusInternalServerError, err: fmt.Errorf("asking the runtime to %s in container %s (%s): %w", kind, c.Name, c.ID, err)}
	}
	location, err := streamproxy.ResolveURL(raw, h.cfg.StreamingBase)
	if err != nil {
		return nil, &refusal{code: http.StatusBadGateway, err: fmt.Errorf("%s in container %s: %w", kind, c.Name, err)}
	}
	return location, nil
}
