package node

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// Defaults, the kubelet's where it has one.
const (
	// DefaultLeaseDuration is the kubelet's nodeLeaseDurationSeconds.
	DefaultLeaseDuration = 40 * time.Second
	// DefaultRenewInterval is the kubelet's: a quarter of the duration.
	DefaultRenewInterval = 10 * time.Second
	// DefaultStatusCheckInterval is the kubelet's nodeStatusUpdateFrequency:
	// how often the status is computed and compared.
	DefaultStatusCheckInterval = 10 * time.Second
	// DefaultStatusReportInterval is how often the status is sent even
	// when nothing changed (the kubelet's nodeStatusReportFrequency is
	// 5m; a minute keeps heartbeat times fresher for `kubectl describe`).
	DefaultStatusReportInterval = time.Minute
	// DefaultCallTimeout bounds every API call.
	DefaultCallTimeout = 10 * time.Second
	// LeaseNamespace holds the node leases.
	LeaseNamespace = "kube-node-lease"
)

// Config is what a Keeper needs. Nodes, Leases, Spec.Name and Host are
// required.
type Config struct {
	Nodes  kubeapi.Nodes
	Leases kubeapi.Leases
	Spec   Spec
	Host   Host
	// Ready runs the agent's readiness checks; nil means always ready.
	Ready func(context.Context) Readiness
	// Events, when set, records events about the Node (Starting, and
	// NodeReady or NodeNotReady when Ready changes), as the kubelet does.
	Events func(eventType, reason, message string)
	// Clock defaults to the real one; tests step a fake.
	Clock  clock.WithTicker
	Logger *slog.Logger

	LeaseDuration, RenewInterval              time.Duration
	StatusCheckInterval, StatusReportInterval time.Duration
	CallTimeout                               time.Duration
}

// Keeper registers the node and keeps its Lease and status current.
type Keeper struct {
	cfg Config
	log *slog.Logger

	mu  sync.Mutex
	uid types.UID // of the registered Node, for the Lease's owner

	lease  leaseState
	status statusState
}

// New checks cfg and fills in defaults; it starts nothing.
func New(cfg Config) (*Keeper, error) {
	if cfg.Nodes == nil || cfg.Leases == nil || cfg.Host == nil {
		return nil, errors.New("node: Config needs Nodes, Leases and a Host")
	}
	if cfg.Spec.Name == "" {
		return nil, errors.New("node: Config.Spec needs the node's Name")
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) Readiness { return Readiness{} }
	}
	if cfg.Events == nil {
		cfg.Events = func(string, string, string) {}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	defaultDuration(&cfg.LeaseDuration, DefaultLeaseDuration)
	defaultDuration(&cfg.RenewInterval, DefaultRenewInterval)
	defaultDuration(&cfg.StatusCheckInterval, DefaultStatusCheckInterval)
	defaultDuration(&cfg.StatusReportInterval, DefaultStatusReportInterval)
	defaultDuration(&cfg.CallTimeout, DefaultCallTimeout)
	return &Keeper{cfg: cfg, log: cfg.Logger.With("node", cfg.Spec.Name)}, nil
}

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Run registers the node, retrying until it succeeds, then renews the
// Lease and updates the status until ctx ends. API failures are logged
// and retried, never returned: the pods run on without the cluster.
func (k *Keeper) Run(ctx context.Context) error {
	k.cfg.Events(v1.EventTypeNormal, "Starting", "Starting kubelet.")
	if err := k.registerUntilDone(ctx); err != nil {
		return nil // ctx ended
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { k.leaseLoop(ctx); return nil })
	g.Go(func() error { k.statusLoop(ctx); return nil })
	return g.Wait()
}

// call is ctx bounded by the per-call timeout.
func (k *Keeper) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, k.cfg.CallTimeout)
}

func (k *Keeper) nodeUID() types.UID {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.uid
}

func (k *Keeper) setNodeUID(uid types.UID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.uid = uid
}

// sleep waits d on the Keeper's clock; false when ctx ended first.
func (k *Keeper) sleep(ctx context.Context, d time.Duration) bool {
	timer := k.cfg.Clock.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C():
		return true
	}
}

// backoff is the wait after the n-th failure in a row (n ≥ 1): from
// 200ms doubling, capped at limit, as the kubelet's lease controller.
func backoff(n int, limit time.Duration) time.Duration {
	d := 200 * time.Millisecond
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
