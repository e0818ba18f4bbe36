package kubelet

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// relister is the pod lifecycle event generator: every period it lists this
// agent's sandboxes and containers and reports the pods whose state changed,
// so a container exit or a vanished sandbox leads to a sync.
type relister struct {
	runtime Runtime
	node    string
	period  time.Duration
	metrics Metrics
	log     *slog.Logger
	// waitRuntime blocks while the runtime is down (Config.WaitRuntime).
	waitRuntime func(context.Context) error

	last     map[string]string    // sandbox or container ID → state, last relist
	owners   map[string]types.UID // sandbox or container ID → pod UID, last relist
	lastTime time.Time

	counts atomic.Pointer[RuntimeCounts]
	// present is the set of pod UIDs the last relist saw, nil before the
	// first relist.
	present atomic.Pointer[map[types.UID]bool]
}

// unseen reports whether a completed relist has shown that the runtime
// holds nothing of this pod. Before the first relist it knows nothing.
func (r *relister) unseen(uid types.UID) bool {
	present := r.present.Load()
	return present != nil && !(*present)[uid]
}

// RuntimeCounts is what the last relist saw of this agent's objects.
type RuntimeCounts struct {
	ReadySandboxes int
	// Containers counts containers by state: "created", "running",
	// "exited", "unknown" (the kubelet's container_state values).
	Containers map[string]int
}

func newRelister(rt Runtime, node string, period time.Duration, m Metrics, log *slog.Logger) *relister {
	return &relister{runtime: rt, node: node, period: period, metrics: m, log: log}
}

// run relists until ctx ends, calling report after each successful relist.
func (r *relister) run(ctx context.Context, report func(changed, present []types.UID)) error {
	ticker := time.NewTicker(r.period)
	defer ticker.Stop()
	for {
		if waitRuntime(ctx, r.waitRuntime) != nil {
			return nil
		}
		if err := r.relist(ctx, report); err != nil && ctx.Err() == nil {
			warnUnlessOutage(r.log, err, "relist failed; will retry")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func (r *relister) relist(ctx context.Context, report func(changed, present []types.UID)) error {
	start := time.Now()
	selector := translate.ManagedSelector(r.node)
	sandboxes, err := r.runtime.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("listing pod sandboxes: %w", err)
	}
	containers, err := r.runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: selector})
	if err != nil {
		return fmt.Errorf("listing containers: %w", err)
	}
	states := make(map[string]string, len(sandboxes)+len(containers))
	owner := make(map[string]types.UID, len(states))
	present := map[types.UID]bool{}
	for _, s := range sandboxes {
		uid := types.UID(s.GetLabels()[translate.PodUIDLabel])
		states[s.GetId()], owner[s.GetId()] = s.GetState().String(), uid
		present[uid] = true
	}
	for _, c := range containers {
		uid := types.UID(c.GetLabels()[translate.PodUIDLabel])
		states[c.GetId()], owner[c.GetId()] = c.GetState().String(), uid
		present[uid] = true
	}
	changed := map[types.UID]bool{}
	for id, state := range states {
		if r.last[id] != state {
			changed[owner[id]] = true
		}
	}
	for id := range r.last {
		if _, ok := states[id]; !ok {
			changed[r.owners[id]] = true
		}
	}
	interval := time.Duration(0)
	if !r.lastTime.IsZero() {
		interval = start.Sub(r.lastTime)
	}
	r.last, r.lastTime, r.owners = states, start, owner
	r.counts.Store(countObjects(sandboxes, containers))
	r.present.Store(&present)
	r.metrics.ObservePLEGRelist(time.Since(start), interval)
	report(keys(changed), keys(present))
	return nil
}

func keys(set map[types.UID]bool) []types.UID {
	out := make([]types.UID, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

func countObjects(sandboxes []*runtimeapi.PodSandbox, containers []*runtimeapi.Container) *RuntimeCounts {
	counts := &RuntimeCounts{Containers: map[string]int{}}
	for _, s := range sandboxes {
		if s.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
			counts.ReadySandboxes++
		}
	}
	for _, c := range containers {
		counts.Containers[containerStateName(c.GetState())]++
	}
	return counts
}

func containerStateName(s runtimeapi.ContainerState) string {
	switch s {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return "created"
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return "running"
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return "exited"
	default:
		return "unknown"
	}
}
