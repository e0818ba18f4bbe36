package apiserver

import (
	"errors"
	"k8s.io/apimachinery/pkg/types"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"time"

	"github.com/minikubelet/minikubelet/kubelet"
)

// PodState is what the API reads from and tells the sync loop;
// *kubelet.Kubelet implements it.
type PodState interface {
	// Pods returns every pod the agent knows, sorted by namespace and name.
	Pods() []kubelet.PodView
	// Changed is closed at the next change of any pod.
	Changed() <-chan struct{}
	// SetDeletionGracePeriod makes the pod's next deletion use seconds
	// instead of its spec's grace period.
	SetDeletionGracePeriod(uid types.UID, seconds int64)
}

// Config holds the API's parts. New fills in defaults.
type Config struct {
	// Pods is the sync loop's state; required.
	Pods PodState
	// ManifestDir is where created pods are written; required.
	ManifestDir string
	// NodeName is this node, stamped on pods and events; required.
	NodeName string
	// Logs serves kubelet-style /containerLogs/{ns}/{pod}/{container}
	// (kubelet/logs.NewHandler); the pods/log subresource is translated to
	// it. Nil leaves pods/log unserved.
	Logs http.Handler
	// Version is the agent's own version, shown by /version.
	Version string
	// Node describes this node for /api/v1/nodes.
	Node NodeInfo
	// Usage, when set, serves the metrics API (metrics.k8s.io/v1beta1,
	// kubectl top) from the runtime's stats.
	Usage UsageSource
	// CreateWait bounds how long create and replace wait for the sync loop
	// to pick up the written manifest before answering; 0 means 3 seconds.
	CreateWait time.Duration
	Logger     *slog.Logger
	Now        func() time.Time
}

// Server serves the Kubernetes API subset for the node's pods.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store *store
	// started is when the API was made: the node's creation time.
	started time.Time
}

// New checks the configuration and returns the API.
func New(cfg Config) (*Server, error) {
	if cfg.Pods == nil || cfg.ManifestDir == "" || cfg.NodeName == "" {
		return nil, errors.New("node API: Pods, ManifestDir and NodeName are required")
	}
	dir, err := filepath.Abs(cfg.ManifestDir)
	if err != nil {
		return nil, errors.New("node API: manifest directory " + cfg.ManifestDir + ": " + err.Error())
	}
	cfg.ManifestDir = dir
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CreateWait == 0 {
		cfg.CreateWait = 3 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "devel"
	}
	r := renderer{nodeName: cfg.NodeName}
	return &Server{cfg: cfg, log: cfg.Logger, store: newStore(cfg.Pods, cfg.Now, r.render), started: cfg.Now()}, nil
}

// Routes returns the API's handlers by Go 1.22 ServeMux pattern, to mount
// beside the agent's other routes. Port-forward, exec and attach are not
// among them: their handlers (kubelet/portforward, kubelet/streaming)
// serve those subresources themselves.
func (s *Server) Routes() map[string]http.Handler {
	const pods = "/api/v1/namespaces/{namespace}/pods"
	const pod = pods + "/{name}"
	routes := map[string]http.HandlerFunc{
		"GET /version":        s.version,
		"GET /api":            s.apiVersions,
		"GET /api/{$}":        s.apiVersions,
		"GET /api/v1":         s.resources,
		"GET /api/v1/{$}":     s.resources,
		"GET /apis":           s.groups,
		"GET /apis/{$}":       s.groups,
		"GET /openapi/v3":     s.openAPIRoot,
		"GET /openapi/v3/{$}": s.openAPIRoot,
		openAPICoreRoute:      s.openAPICore,

		"GET /api/v1/pods":    s.listPods,
		"GET " + pods:         s.listPods,
		"POST " + pods:        s.createPod,
		"GET " + pod:          s.getPod,
		"PUT " + pod:          s.replacePod,
		"PATCH " + pod:        s.patchPod,
		"DELETE " + pod:       s.deletePod,
		"GET " + pod + "/log": s.podLog,

		"GET /api/v1/events":                               s.listEvents,
		"GET /api/v1/nodes":                                s.listNodes,
		"GET /api/v1/nodes/{name}":                         s.getNode,
		"GET /api/v1/namespaces/{namespace}/events":        s.listEvents,
		"GET /api/v1/namespaces/{namespace}/events/{name}": s.getEvent,
	}
	if s.cfg.Usage != nil {
		maps.Copy(routes, s.metricsRoutes())
	}
	out := make(map[string]http.Handler, len(routes))
	for pattern, h := range routes {
		out[pattern] = h
	}
	return out
}

// Handler returns the API alone on its own mux, for tests and for
// serving it without the agent's other routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range s.Routes() {
		mux.Handle(pattern, h)
	}
	return mux
}
