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
	// ResolvePod maps the pod the API server asks for to the name the
	// node's routes know it by, or says why there is none (a 404): a
	// static pod's mirror is <name>-<node> in the cluster but <name> on
	// this node, and a name must never reach a pod of another source.
	// nil keeps every name.
	ResolvePod func(namespace, name string) (local string, err error)
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
		// The API server's error stays in the log: it may say more about
		// the cluster than the client should learn.
		log.Warn("authorization failed", "user", user.Name, "err", err)
		http.Error(w, fmt.Sprintf("Authorization error (user=%s, %s)", user.Name, describe(spec)), http.StatusInternalServerError)
		return
	}
	if !d.allowed {
		// The authorizer's reason (which roles were looked at) is logged,
		// not shown, as the kubelet answers.
		log.Info("refused an unauthorized request", "user", user.Name, "groups", user.Groups, "reason", d.reason)
		http.Error(w, fmt.Sprintf("Forbidden (user=%s, %s)", user.Name, describe(spec)), http.StatusForbidden)
		return
	}
	log.Debug("authorized", "user", user.Name)
	if r.URL.RawPath != "" {
		// An escaped character in a path of pod and container names is
		// never the API server's; the routes would see other segments
		// than the review did.
		http.Error(w, "escaped characters are not served in this path", http.StatusBadRequest)
		return
	}
	if g.cfg.ResolvePod != nil {
		path, err := localPath(r.URL.Path, g.cfg.ResolvePod)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		r.URL.Path = path
	}
	g.next.ServeHTTP(w, r)
}

// localPath resolves the pod in a kubelet path, /VERB/{namespace}/{pod}/…,
// with resolve.
func localPath(path string, resolve func(namespace, name string) (string, error)) (string, error) {
	parts := strings.SplitN(path, "/", 5) // "", verb, namespace, pod, rest
	if len(parts) < 4 || parts[2] == "" || parts[3] == "" {
		return path, nil
	}
	local, err := resolve(parts[2], parts[3])
	if err != nil {
		return "", err
	}
	parts[3] = local
	return strings.Join(parts, "/"), nil
}
