package metrics

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults for HandlerConfig.
const (
	DefaultStatsCacheTTL = time.Second
	DefaultStatsTimeout  = 10 * time.Second
)

// HandlerConfig configures the three metrics endpoints.
type HandlerConfig struct {
	// Gatherer is the registry behind /metrics, the one given to New.
	Gatherer prometheus.Gatherer
	// Runtime is read for /metrics/resource and /metrics/cadvisor.
	Runtime StatsSource
	// Images, if set, names container images by tag instead of ID.
	Images ImageLister
	// PodSelector, if set, limits the stats endpoints to pods and
	// containers carrying these labels (the agent's own).
	PodSelector map[string]string
	// StatsCacheTTL is how long one runtime fetch serves scrapes; 0 means
	// DefaultStatsCacheTTL.
	StatsCacheTTL time.Duration
	// StatsTimeout bounds one runtime fetch; 0 means DefaultStatsTimeout.
	StatsTimeout time.Duration
	// HostRoot is where the node's /proc and /sys are; "" means "/".
	HostRoot string
	// Logger receives fetch and encoding errors; nil discards them.
	Logger *slog.Logger
}

// Handlers are the agent's metrics endpoints, to mount at /metrics,
// /metrics/resource and /metrics/cadvisor.
type Handlers struct {
	Metrics  http.Handler
	Resource http.Handler
	Cadvisor http.Handler

	cache *statsCache
}

// NewHandlers builds the endpoints. The resource and cAdvisor endpoints
// share one stats cache, so a Prometheus scraping both, and any number of
// concurrent scrapers, cause one runtime fetch per TTL.
func NewHandlers(cfg HandlerConfig) (*Handlers, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.fillDefaults()
	cache := &statsCache{
		runtime:  cfg.Runtime,
		images:   cfg.Images,
		node:     nodeReader{root: cfg.HostRoot, now: time.Now},
		selector: cfg.PodSelector,
		ttl:      cfg.StatsCacheTTL,
		timeout:  cfg.StatsTimeout,
		log:      cfg.Logger,
		now:      time.Now,
	}
	resource, err := statsHandler(cache, resourceCollector{snapshot: cache.current}, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("building /metrics/resource: %w", err)
	}
	cadvisor, err := statsHandler(cache, cadvisorCollector{snapshot: cache.current}, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("building /metrics/cadvisor: %w", err)
	}
	return &Handlers{
		Metrics:  promhttp.HandlerFor(cfg.Gatherer, handlerOpts(cfg.Logger)),
		Resource: resource,
		Cadvisor: cadvisor,
		cache:    cache,
	}, nil
}

func (cfg *HandlerConfig) validate() error {
	var errs []error
	if cfg.Gatherer == nil {
		errs = append(errs, errors.New("metrics: HandlerConfig.Gatherer is nil: pass the registry given to metrics.New"))
	}
	if cfg.Runtime == nil {
		errs = append(errs, errors.New("metrics: HandlerConfig.Runtime is nil: pass the CRI runtime client"))
	}
	if cfg.StatsCacheTTL < 0 || cfg.StatsTimeout < 0 {
		errs = append(errs, fmt.Errorf("metrics: HandlerConfig.StatsCacheTTL (%v) and StatsTimeout (%v) must not be negative", cfg.StatsCacheTTL, cfg.StatsTimeout))
	}
	return errors.Join(errs...)
}

func (cfg *HandlerConfig) fillDefaults() {
	if cfg.StatsCacheTTL == 0 {
		cfg.StatsCacheTTL = DefaultStatsCacheTTL
	}
	if cfg.StatsTimeout == 0 {
		cfg.StatsTimeout = DefaultStatsTimeout
	}
	if cfg.HostRoot == "" {
		cfg.HostRoot = "/"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// statsHandler serves one stats collector from its own registry. The
// request refreshes the shared cache first, under the request's context,
// so the collector itself never blocks on the runtime.
func statsHandler(cache *statsCache, c prometheus.Collector, log *slog.Logger) (http.Handler, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	gather := promhttp.HandlerFor(reg, handlerOpts(log))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cache.get(r.Context())
		gather.ServeHTTP(w, r)
	}), nil
}

func handlerOpts(log *slog.Logger) promhttp.HandlerOpts {
	return promhttp.HandlerOpts{
		ErrorLog:      slogPrintln{log},
		ErrorHandling: promhttp.ContinueOnError,
	}
}

// slogPrintln adapts slog to promhttp's error logger.
type slogPrintln struct{ log *slog.Logger }

// Println implements promhttp.Logger.
func (l slogPrintln) Println(v ...any) {
	l.log.Error("serving metrics", "err", fmt.Sprint(v...))
}

// Routes maps the kubelet's paths (Go ServeMux patterns) to the
// endpoints, for the agent's API server.
func (h *Handlers) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /metrics":          h.Metrics,
		"GET /metrics/resource": h.Resource,
		"GET /metrics/cadvisor": h.Cadvisor,
	}
}

// Mount registers the endpoints on mux at the kubelet's paths.
func (h *Handlers) Mount(mux *http.ServeMux) {
	for pattern, handler := range h.Routes() {
		mux.Handle(pattern, handler)
	}
}
