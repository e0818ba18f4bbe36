package mirror

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// Defaults of Config.
const (
	defaultResync      = time.Minute
	defaultCallTimeout = 10 * time.Second
	// watchTimeout ends a watch after a while so a silently dead
	// connection is noticed; the next one starts at once.
	watchTimeout = 5 * time.Minute
	// settle lets a burst of changes (a pod starting updates its status
	// several times) collapse into one round.
	settle = 200 * time.Millisecond
	// maxRetryWait caps the wait between failed rounds.
	maxRetryWait = 30 * time.Second
)

// StaticPods is where the static pods come from: the agent's sync loop.
type StaticPods interface {
	// StaticPods returns the static pods that run or should run, with
	// their status; ok is false until the manifests have been read, when
	// an empty list would mean "delete every mirror pod".
	StaticPods() (pods []*v1.Pod, ok bool)
	// Changed is closed at the next change of any pod.
	Changed() <-chan struct{}
}

// NodeGetter reads this node's Node, for its UID.
type NodeGetter interface {
	Get(ctx context.Context, name string) (*v1.Node, error)
}

// Config says what to mirror where.
type Config struct {
	// NodeName is this node; NodeIP its InternalIP (the hostIP shown).
	NodeName, NodeIP string
	Pods             kubeapi.Pods
	Nodes            NodeGetter
	Static           StaticPods
	// Resync is the period of a round without changes; CallTimeout
	// bounds each API call.
	Resync, CallTimeout time.Duration
	Logger              *slog.Logger
	Now                 func() time.Time
}

// Mirrors keeps the mirror pods of this node's static pods.
type Mirrors struct {
	cfg     Config
	log     *slog.Logger
	nodeUID types.UID
	// lastErr is the last failure of a round logged, so one that repeats
	// (an API server away) is logged once; podErrs the same per mirror pod
	// (a pod NodeRestriction refuses fails every round).
	lastErr string
	podErrs map[string]string
}

// New makes the mirror of cfg.Static.
func New(cfg Config) *Mirrors {
	if cfg.Resync <= 0 {
		cfg.Resync = defaultResync
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = defaultCallTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Mirrors{cfg: cfg, log: cfg.Logger, podErrs: map[string]string{}}
}

// Run syncs the mirror pods on every change of the static pods, of the
// pods bound to this node in the API server (someone deleting a mirror
// pod), and every Resync, until ctx ends. It never fails: while the API
// server is away, it logs once and retries with backoff.
func (m *Mirrors) Run(ctx context.Context) error {
	pokes := make(chan struct{}, 1)
	go m.watch(ctx, pokes)
	var retry time.Duration
	for {
		changed := m.cfg.Static.Changed()
		wait := m.cfg.Resync
		err := m.Sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			retry = min(max(2*retry, time.Second), maxRetryWait)
			wait = retry
			m.failed(err, retry)
			// While failing, only the timer wakes the loop, so a busy
			// node does not hammer an API server that is away.
			if !sleep(ctx, wait, nil, nil) {
				return nil
			}
			continue
		}
		if retry > 0 || m.lastErr != "" {
			m.log.Info("mirror pods in sync again")
		}
		retry, m.lastErr = 0, ""
		if !sleep(ctx, wait, changed, pokes) || !sleep(ctx, settle, nil, nil) {
			return nil
		}
	}
}

// sleep waits for d, a change or a poke; false when ctx ended.
func sleep(ctx context.Context, d time.Duration, changed, pokes <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-changed:
	case <-pokes:
	}
	return true
}

func (m *Mirrors) failed(err error, retry time.Duration) {
	if msg := err.Error(); msg != m.lastErr {
		m.lastErr = msg
		m.log.Warn("syncing mirror pods failed; retrying", "retry", retry, "err", err)
		return
	}
	m.log.Debug("syncing mirror pods failed again", "retry", retry, "err", err)
}

// Sync makes one round: reads the static pods and this node's pods in the
// API server, and makes the calls Plan asks for. It fails when it could
// not read; a call about one mirror pod that fails is logged (once while
// it fails alike) and retried next round, without holding up the others.
func (m *Mirrors) Sync(ctx context.Context) error {
	static, ok := m.cfg.Static.StaticPods()
	if !ok {
		return nil
	}
	if err := m.ensureNodeUID(ctx); err != nil {
		return err
	}
	callCtx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	existing, err := m.cfg.Pods.ListOnNode(callCtx, m.cfg.NodeName)
	cancel()
	if err != nil {
		return fmt.Errorf("listing the pods bound to node %s: %w", m.cfg.NodeName, err)
	}
	node := Node{Name: m.cfg.NodeName, UID: m.nodeUID, IP: m.cfg.NodeIP}
	actions, err := Plan(node, static, existing.Items, m.cfg.Now())
	if err != nil {
		return err
	}
	failing := map[string]string{}
	for _, a := range actions {
		ref := a.Namespace + "/" + a.Name
		err := m.apply(ctx, a)
		if err == nil || ctx.Err() != nil {
			continue
		}
		failing[ref] = err.Error()
		if m.podErrs[ref] != err.Error() {
			m.log.Warn("mirror pod not in sync; retrying", "pod", ref, "err", err)
		}
	}
	for ref := range m.podErrs {
		if _, still := failing[ref]; !still {
			m.log.Info("mirror pod in sync again", "pod", ref)
		}
	}
	m.podErrs = failing
	return nil
}

// ensureNodeUID reads the Node's UID, which mirror pods' owner reference
// must carry.
func (m *Mirrors) ensureNodeUID(ctx context.Context) error {
	if m.nodeUID != "" {
		return nil
	}
	callCtx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	n, err := m.cfg.Nodes.Get(callCtx, m.cfg.NodeName)
	if err != nil {
		return fmt.Errorf("reading node %s for its mirror pods' owner: %w", m.cfg.NodeName, err)
	}
	m.nodeUID = n.UID
	return nil
}

func (m *Mirrors) apply(ctx context.Context, a Action) error {
	callCtx, cancel := context.WithTimeout(ctx, m.cfg.CallTimeout)
	defer cancel()
	ref := a.Namespace + "/" + a.Name
	switch a.Kind {
	case Delete:
		err := m.cfg.Pods.Delete(callCtx, a.Namespace, a.Name, a.UID)
		// Gone already, or another pod now: the next round sees.
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("deleting mirror pod %s: %w", ref, err)
		}
		m.log.Info("deleted mirror pod", "pod", ref, "uid", a.UID, "why", a.Why)
	case Create:
		created, err := m.cfg.Pods.Create(callCtx, a.Pod)
		if err != nil {
			if apierrors.IsForbidden(err) {
				// The Node may have been deleted and registered again:
				// read its UID again next round.
				m.nodeUID = ""
			}
			return fmt.Errorf("creating mirror pod %s: %w", ref, err)
		}
		m.log.Info("created mirror pod", "pod", ref, "uid", created.UID, "why", a.Why)
		// A created pod's status is the API server's (Pending): show the
		// static pod's at once.
		if a.Status == nil {
			return nil
		}
		patch, changed, err := StatusPatch(created, *a.Status)
		if err != nil || !changed {
			return err
		}
		if _, err := m.cfg.Pods.PatchStatus(callCtx, a.Namespace, a.Name, patch); err != nil {
			return fmt.Errorf("patching the status of mirror pod %s: %w", ref, err)
		}
	case PatchStatus:
		if _, err := m.cfg.Pods.PatchStatus(callCtx, a.Namespace, a.Name, a.Patch); err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				return nil // deleted or replaced meanwhile: the next round sees
			}
			return fmt.Errorf("patching the status of mirror pod %s: %w", ref, err)
		}
		m.log.Debug("patched mirror pod status", "pod", ref, "phase", a.Status.Phase)
	}
	return nil
}

// watch pokes the loop at every change of the pods bound to this node, so
// a mirror pod someone deleted comes back at once rather than at the next
// Resync. A failing watch is retried quietly: Resync still runs. Each
// watch starts at the current state (its first events list every pod), so
// nothing between two watches is missed.
func (m *Mirrors) watch(ctx context.Context, pokes chan<- struct{}) {
	for failures := 0; ctx.Err() == nil; {
		if m.watchOnce(ctx, pokes) {
			failures = 0
		} else {
			failures++
		}
		// At least a second between watches, so a server that ends them
		// at once is not asked in a tight loop.
		if !sleep(ctx, min(time.Duration(failures+1)*time.Second, maxRetryWait), nil, nil) {
			return
		}
	}
}

// watchOnce runs one watch until it ends; false when it could not start.
func (m *Mirrors) watchOnce(ctx context.Context, pokes chan<- struct{}) bool {
	ctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	w, err := m.cfg.Pods.WatchOnNode(ctx, m.cfg.NodeName, "")
	if err != nil {
		m.log.Debug("watching the pods bound to this node failed", "err", err)
		return false
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ev.Type == watch.Bookmark {
			continue
		}
		if ev.Type == watch.Error {
			return false
		}
		select {
		case pokes <- struct{}{}:
		default:
		}
	}
	return true
}
