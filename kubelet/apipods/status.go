package apipods

import (
	"context"
	"log/slog"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

// Node is what the status loop reads of the sync loop.
type Node interface {
	// PodStatuses is the status of every pod the sync loop tracks.
	PodStatuses() map[types.UID]v1.PodStatus
	// Gone says nothing of the pod is left on the node.
	Gone(uid types.UID) bool
	// FinalStatus is the terminal status of a deleted pod the node has
	// removed, as its containers ended; false when it has none.
	FinalStatus(uid types.UID) (v1.PodStatus, bool)
	// Changed is closed at the next change of any pod.
	Changed() <-chan struct{}
}

// Writer makes the status loop's calls (kubeapi.Pods).
type Writer interface {
	PatchStatus(ctx context.Context, namespace, name string, patch []byte) (*v1.Pod, error)
	Delete(ctx context.Context, namespace, name string, uid types.UID) error
}

// StatusConfig says whose status to send where.
type StatusConfig struct {
	// Node names this node, and its IP, the pods' hostIP.
	Node   mirror.Node
	Local  Node
	API    *Source
	Writer Writer
	// Refused, when set, is told of each pod whose refusal the API server
	// took, once: the kubelet records a Warning event with the reason.
	Refused func(pod *v1.Pod, why Verdict)
	// Resync is the period of a round without changes; CallTimeout bounds
	// each call.
	Resync, CallTimeout time.Duration
	Logger              *slog.Logger
	Now                 func() time.Time
}

const (
	defaultResync = time.Minute
	// settle lets a burst of changes (a pod starting changes its status
	// several times) collapse into one patch.
	settle = 100 * time.Millisecond
)

// Status keeps the API server's pods/status equal to the node's, and
// deletes pods whose deletion has finished on the node.
type Status struct {
	cfg StatusConfig
	log *slog.Logger
	// failing is the last error of each pod's call, logged once while it
	// repeats (an API server away fails every call alike).
	failing map[types.UID]string
	// deleted are the pods this loop deleted that the API server still
	// holds (a finalizer keeps them): they are not deleted again.
	deleted map[types.UID]bool
}

// NewStatus makes the status loop.
func NewStatus(cfg StatusConfig) *Status {
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
	return &Status{cfg: cfg, log: cfg.Logger, failing: map[types.UID]string{}, deleted: map[types.UID]bool{}}
}

// Run makes a round at every change of the node's or the API server's
// pods, and every Resync, until ctx ends. A round with failed calls is
// retried with back-off; only the timer wakes it then, so a busy node does
// not hammer an API server that is away. It is level-triggered: each round
// compares the whole state, so a missed change is caught by the next.
func (s *Status) Run(ctx context.Context) error {
	var retry time.Duration
	for {
		local, api := s.cfg.Local.Changed(), s.cfg.API.Changed()
		wait := s.cfg.Resync
		if s.Sync(ctx) {
			retry = 0
		} else {
			retry = min(max(2*retry, time.Second), maxRetryWait)
			wait, local, api = retry, nil, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-local:
		case <-api:
		}
		t.Stop()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(settle):
		}
	}
}

// Sync makes one round; false when a call failed.
func (s *Status) Sync(ctx context.Context) bool {
	api := s.cfg.API.Pods()
	statuses := s.cfg.Local.PodStatuses()
	local := make(map[types.UID]Local, len(api))
	for _, p := range api {
		status, tracked := statuses[p.UID]
		l := Local{Tracked: tracked, Status: status}
		if p.DeletionTimestamp != nil && !tracked {
			l.Gone = s.cfg.Local.Gone(p.UID)
		}
		if l.Gone {
			if final, ok := s.cfg.Local.FinalStatus(p.UID); ok {
				l.Final = &final
			}
		}
		local[p.UID] = l
	}
	s.forgetDeleted(api)
	actions, err := Plan(s.cfg.Node, api, local, s.cfg.API.Refused(), s.cfg.Now())
	if err != nil {
		s.log.Warn("planning pod status updates failed", "err", err)
		return false
	}
	ok := true
	failing := map[types.UID]string{}
	for _, a := range actions {
		if _, failed := failing[a.UID]; failed || (a.Kind == Delete && s.deleted[a.UID]) {
			continue // the final status did not reach the API server: no delete yet
		}
		err := s.apply(ctx, a)
		if err == nil && a.Kind == Delete {
			s.deleted[a.UID] = true
		}
		if err == nil || ctx.Err() != nil {
			continue
		}
		ok = false
		failing[a.UID] = err.Error()
		if s.failing[a.UID] != err.Error() {
			s.log.Warn("pod status not in sync with the API server; retrying", "pod", a.Namespace+"/"+a.Name, "err", err)
		}
	}
	for uid := range s.failing {
		if _, still := failing[uid]; !still {
			s.log.Info("pod status in sync with the API server again", "uid", uid)
		}
	}
	s.failing = failing
	return ok
}

func (s *Status) apply(ctx context.Context, a Action) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CallTimeout)
	defer cancel()
	ref := a.Namespace + "/" + a.Name
	switch a.Kind {
	case PatchStatus:
		pod, err := s.cfg.Writer.PatchStatus(ctx, a.Namespace, a.Name, a.Patch)
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil // deleted or replaced meanwhile: the watch tells
		}
		if err != nil {
			return err
		}
		s.cfg.API.Patched(pod)
		s.log.Debug("patched pod status", "pod", ref, "phase", a.Phase)
		if a.Refusal != nil {
			s.log.Info("pod refused", "pod", ref, "reason", a.Refusal.Reason, "message", a.Refusal.Message)
			if s.cfg.Refused != nil {
				s.cfg.Refused(pod, *a.Refusal)
			}
		}
	case Delete:
		err := s.cfg.Writer.Delete(ctx, a.Namespace, a.Name, a.UID)
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
		s.log.Info("pod deleted from the API server: nothing of it is left on the node", "pod", ref, "uid", a.UID)
	}
	return nil
}

// forgetDeleted drops the pods deleted earlier that the API server no
// longer holds.
func (s *Status) forgetDeleted(api []*v1.Pod) {
	if len(s.deleted) == 0 {
		return
	}
	held := make(map[types.UID]bool, len(api))
	for _, p := range api {
		held[p.UID] = true
	}
	for uid := range s.deleted {
		if !held[uid] {
			delete(s.deleted, uid)
		}
	}
}
