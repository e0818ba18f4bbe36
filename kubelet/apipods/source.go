package apipods

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/minikubelet/minikubelet/kubelet"
	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

// Defaults of the loops.
const (
	defaultCallTimeout = 10 * time.Second
	// watchTimeout ends a watch after a while so a silently dead
	// connection is noticed; the next one resumes where it ended.
	watchTimeout = 5 * time.Minute
	maxRetryWait = 30 * time.Second
)

// Lister lists and watches the pods bound to a node (kubeapi.Pods).
type Lister interface {
	ListOnNode(ctx context.Context, node string) (*v1.PodList, error)
	WatchOnNode(ctx context.Context, node, resourceVersion string) (watch.Interface, error)
}

// SourceConfig says whose pods to read, and from where.
type SourceConfig struct {
	NodeName string
	// Client waits for the cluster's client (a bootstrapping node has
	// none yet); an error only when ctx ended.
	Client func(ctx context.Context) (Lister, error)
	// SetGrace gives a pod being deleted its deletion grace period before
	// it leaves the desired set (kubelet.Kubelet.SetDeletionGracePeriod).
	SetGrace func(uid types.UID, seconds int64)
	// Node reads this Node from the API server, for the pods whose
	// nodeSelector or node affinity must match it; Labels are the labels
	// the agent registers it with, used while the Node does not exist
	// (NotFound) yet. Without Node, Labels are all there is.
	Node   func(ctx context.Context) (*v1.Node, error)
	Labels map[string]string
	// Local lists the node's other pods (its static pods), whose
	// hostPorts a pod from the API server may not take; nil: none.
	Local       func() []*v1.Pod
	CallTimeout time.Duration
	Logger      *slog.Logger
}

// Source is the sync loop's pod source "api": the pods the scheduler bound
// to this node. It is a reflector: it lists, then watches from the list's
// resourceVersion, and lists again when the watch's history is gone (410)
// or anything fails. It also holds the API server's view of each pod, with
// its status, for Status.
type Source struct {
	cfg SourceConfig
	log *slog.Logger

	mu      sync.Mutex
	pods    map[types.UID]*v1.Pod
	run     map[types.UID]*v1.Pod // last handed to the sync loop
	refused map[types.UID]Verdict
	changed chan struct{}

	// node is this Node as last read (nil until read), nodeRead when;
	// only the loop of Run touches them.
	node     *v1.Node
	nodeRead time.Time
}

// nodeReadEvery bounds how often a verdict that needs the Node reads it.
const nodeReadEvery = time.Second

// NewSource makes the source; Run starts it.
func NewSource(cfg SourceConfig) *Source {
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = defaultCallTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SetGrace == nil {
		cfg.SetGrace = func(types.UID, int64) {}
	}
	return &Source{cfg: cfg, log: cfg.Logger, pods: map[types.UID]*v1.Pod{}, changed: make(chan struct{})}
}

func (s *Source) Name() string { return kubelet.SourceAPI }

// Run lists and watches until ctx ends, delivering the complete set of
// pods to run after the first list and after every change. Until the
// first list, nothing is delivered: the sync loop then keeps every pod it
// finds in the runtime, so a restart adopts the API's pods rather than
// killing them. It never fails: an API server away is logged once and
// retried with back-off.
func (s *Source) Run(ctx context.Context, deliver func(kubelet.SourceUpdate)) error {
	client, err := s.cfg.Client(ctx)
	if err != nil {
		return nil //nolint:nilerr // only ctx ends it
	}
	var retry time.Duration
	lastErr := ""
	for ctx.Err() == nil {
		err := s.listAndWatch(ctx, client, deliver)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil || errors.Is(err, errExpired) {
			// The history moved past the watch: list again at once, as
			// a reflector does; that is no failure.
			s.log.Debug("re-listing this node's pods", "err", err)
			retry = 0
			continue
		}
		retry = min(max(2*retry, time.Second), maxRetryWait)
		if err.Error() != lastErr {
			lastErr = err.Error()
			s.log.Warn("reading this node's pods from the API server failed; retrying", "retry", retry, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
	return nil
}

// listAndWatch lists, delivers, and watches from the list on until the
// history is gone or a call fails (an error), or ctx ends.
func (s *Source) listAndWatch(ctx context.Context, client Lister, deliver func(kubelet.SourceUpdate)) error {
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	list, err := client.ListOnNode(callCtx, s.cfg.NodeName)
	cancel()
	if err != nil {
		return fmt.Errorf("listing the pods bound to node %s: %w", s.cfg.NodeName, err)
	}
	s.mu.Lock()
	s.pods = make(map[types.UID]*v1.Pod, len(list.Items))
	for i := range list.Items {
		s.pods[list.Items[i].UID] = &list.Items[i]
	}
	s.mu.Unlock()
	s.deliver(ctx, deliver)
	rv := list.ResourceVersion
	for ctx.Err() == nil {
		began := time.Now()
		if rv, err = s.watch(ctx, client, rv, deliver); err != nil {
			return err
		}
		// A server that ends watches at once is not asked in a tight loop.
		if time.Since(began) < time.Second {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// errExpired marks a watch whose resourceVersion is too old (410 Gone).
var errExpired = errors.New("the watch's history is gone")

// watch runs one watch from rv and returns the resourceVersion to resume
// from.
func (s *Source) watch(ctx context.Context, client Lister, rv string, deliver func(kubelet.SourceUpdate)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	w, err := client.WatchOnNode(ctx, s.cfg.NodeName, rv)
	if err != nil {
		return rv, fmt.Errorf("watching the pods bound to node %s: %w", s.cfg.NodeName, err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			// 410 Gone (the history was compacted) or another failure:
			// only a new list is sure to see everything.
			err := apierrors.FromObject(ev.Object)
			if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
				return rv, fmt.Errorf("%w: %w", errExpired, err)
			}
			return rv, fmt.Errorf("watching the pods bound to node %s: %w", s.cfg.NodeName, err)
		}
		pod, ok := ev.Object.(*v1.Pod)
		if !ok {
			continue
		}
		rv = pod.ResourceVersion
		if ev.Type == watch.Bookmark {
			continue
		}
		s.mu.Lock()
		if ev.Type == watch.Deleted {
			delete(s.pods, pod.UID)
		} else {
			s.pods[pod.UID] = pod
		}
		s.mu.Unlock()
		s.deliver(ctx, deliver)
	}
	return rv, nil
}

// deliver hands the sync loop the pods to run, giving pods being deleted
// their grace first, and wakes Status. When a pod would be refused on
// affinity, or waits for the Node, the Node is read again first, as the
// kubelet reads its Node again before such a refusal: a label an
// operator just added is then seen.
func (s *Source) deliver(ctx context.Context, deliver func(kubelet.SourceUpdate)) {
	var local []*v1.Pod
	if s.cfg.Local != nil {
		local = s.cfg.Local()
	}
	s.mu.Lock()
	want := desired(s.listLocked(), s.run, s.node, local)
	s.mu.Unlock()
	if want.NeedNode && time.Since(s.nodeRead) >= nodeReadEvery {
		s.readNode(ctx)
	}
	s.mu.Lock()
	want = desired(s.listLocked(), s.run, s.node, local)
	s.refused = want.Refused
	s.run = make(map[types.UID]*v1.Pod, len(want.Pods))
	for _, p := range want.Pods {
		s.run[p.Pod.UID] = p.Pod
	}
	s.wakeLocked()
	s.mu.Unlock()
	for uid, seconds := range want.Grace {
		s.cfg.SetGrace(uid, seconds)
	}
	deliver(kubelet.SourceUpdate{Source: kubelet.SourceAPI, Pods: want.Pods})
}

func (s *Source) listLocked() []*v1.Pod {
	pods := make([]*v1.Pod, 0, len(s.pods))
	for _, p := range s.pods {
		pods = append(pods, p)
	}
	return pods
}

func (s *Source) wakeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// readNode reads this Node; the registered labels stand for it while it
// does not exist. A failure keeps the last one read: pods that need it
// wait (neither run nor refused) until a later delivery reads it.
func (s *Source) readNode(ctx context.Context) {
	s.nodeRead = time.Now()
	if s.cfg.Node == nil {
		s.node = &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.cfg.NodeName, Labels: s.cfg.Labels}}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	n, err := s.cfg.Node(ctx)
	switch {
	case apierrors.IsNotFound(err):
		s.node = &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.cfg.NodeName, Labels: s.cfg.Labels}}
	case err != nil:
		s.log.Warn("reading this node for the pods' node selectors failed; they wait", "node", s.cfg.NodeName, "err", err)
	default:
		s.node = n
	}
}

// Refused returns the verdicts on the pods this node refuses, by UID.
// Callers must not change it.
func (s *Source) Refused() map[types.UID]Verdict {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// MirrorOf finds the mirror pod of the static pod with config hash hash:
// the pod bound here that kubernetes.io/config.mirror names it.
func (s *Source) MirrorOf(hash string) (types.UID, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pods {
		if p.Annotations[mirror.AnnotationMirror] == hash && p.DeletionTimestamp == nil {
			return p.UID, true
		}
	}
	return "", false
}

// Pods returns the API server's view of this node's pods. Callers must not
// change them.
func (s *Source) Pods() []*v1.Pod {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listLocked()
}

// Changed is closed at the next change of the API server's pods.
func (s *Source) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Patched records a pod as a call returned it, so the next round compares
// against the status just sent rather than patching it again before the
// watch brings it.
func (s *Source) Patched(pod *v1.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pods[pod.UID]; ok {
		s.pods[pod.UID] = pod
	}
}
