package nodeserver

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Config says what the endpoint serves and whom it trusts.
type Config struct {
	// NodeName is the Node the reviews name.
	NodeName string
	// ClientCAs verify client certificates.
	ClientCAs *x509.CertPool
	// Reviews asks the API server for authorization.
	Reviews Reviewer
	// Routes are ServeMux patterns (the kubelet's paths) and their handlers.
	Routes map[string]http.Handler
	// LocalPodName maps the pod name the API server asks for to the
	// node's own; nil keeps it. A static pod's mirror is <name>-<node> in
	// the cluster but <name> on this node.
	LocalPodName func(namespace, name string) string
	// ReviewTimeout bounds one SubjectAccessReview; default 10 s.
	ReviewTimeout time.Duration
	// CacheTTL is how long an allowed answer is reused (default 1 min);
	// CacheSize how many are kept (default 1024).
	CacheTTL  time.Duration
	CacheSize int
	// Now is the clock of certificate checks and the cache; default
	// time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns the endpoint's handler: every request is authenticated,
// then authorized, then served by the route it matches.
func New(cfg Config) (http.Handler, error) {
	if cfg.NodeName == "" || cfg.ClientCAs == nil || cfg.Reviews == nil || len(cfg.Routes) == 0 {
		return nil, errors.New("node endpoint: NodeName, ClientCAs, Reviews and Routes are required")
	}
	if cfg.ReviewTimeout <= 0 {
		cfg.ReviewTimeout = 10 * time.Second
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = time.Minute
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 1024
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	for pattern, h := range cfg.Routes {
		mux.Handle(pattern, h)
	}
	return &guard{cfg: cfg, next: mux, authz: &authorizer{
		reviews: cfg.Reviews, timeout: cfg.ReviewTimeout, ttl: cfg.CacheTTL, max: cfg.CacheSize,
		now: cfg.Now, allowed: map[string]time.Time{},
	}}, nil
}

type guard struct {
	cfg   Config
	next  http.Handler
	authz *authorizer
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := g.cfg.Logger.With("client", r.RemoteAddr, "method", r.Method, "path", r.URL.Path)
	user, err := authenticate(r.TLS, g.cfg.ClientCAs, g.cfg.Now())
	if err != nil {
		log.Info("refused an unauthenticated request", "err", err)
		http.Error(w, "Unauthorized: "+err.Error(), http.StatusUnauthorized)
		return
	}
	spec, ok := ReviewSpec(r.Method, r.URL.Path, user, g.cfg.NodeName)
	if !ok {
		http.Error(w, fmt.Sprintf("method %s is not served here", r.Method), http.StatusMethodNotAllowed)
		return
	}
	d, err := g.authz.authorize(r.Context(), spec)
	if err != nil {
		log.Warn("authorization failed", "user", user.Name, "err", err)
		http.Error(w, fmt.Sprintf("Authorization error (user=%s, %s): %v", user.Name, describe(spec), err), http.StatusInternalServerError)
		return
	}
	if !d.allowed {
		log.Info("refused an unauthorized request", "user", user.Name, "groups", user.Groups, "reason", d.reason)
		msg := fmt.Sprintf("Forbidden (user=%s, %s)", user.Name, describe(spec))
		if d.reason != "" {
			msg += ": " + d.reason
		}
		http.Error(w, msg, http.StatusForbidden)
		return
	}
	log.Debug("authorized", "user", user.Name)
	if g.cfg.LocalPodName != nil {
		r.URL.Path, r.URL.RawPath = localPath(r.URL.Path, g.cfg.LocalPodName), ""
	}
	g.next.ServeHTTP(w, r)
}

// localPath renames the pod in a kubelet path, /VERB/{namespace}/{pod}/…,
// with rename.
func localPath(path string, rename func(namespace, name string) string) string {
	parts := strings.SplitN(path, "/", 5) // "", verb, namespace, pod, rest
	if len(parts) < 4 || parts[2] == "" || parts[3] == "" {
		return path
	}
	parts[3] = rename(parts[2], parts[3])
	return strings.Join(parts, "/")
}
