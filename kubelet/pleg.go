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

	// eventedPeriod replaces period while the runtime's event stream works
	// (evented is then true): the events wake pods and relists, so the
	// periodic relist only catches what a runtime dropped or never sends,
	// as the kubelet's evented PLEG relists every 300 s. At 110 idle pods
	// the 1 s relist's two lists were a third of the agent's CPU.
	eventedPeriod time.Duration
	evented       atomic.Bool
	// soon asks for a relist one period after the last (events, a broken
	// stream); buffered 1, so a burst of events costs one relist.
	soon chan struct{}

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
	return &relister{runtime: rt, node: node, period: period, eventedPeriod: max(period, EventedRelistPeriod),
		metrics: m, log: log, soon: make(chan struct{}, 1)}
}

// EventedRelistPeriod is the relist period while the runtime's events flow
// (and at least the configured period).
const EventedRelistPeriod = 10 * time.Second

// relistSoon asks for a relist no sooner than period after the last one.
func (r *relister) relistSoon() {
	select {
	case r.soon <- struct{}{}:
	default:
	}
}

// setEvented switches between the evented and the plain period; leaving
// evented mode relists at once (within period), as the stream may have
// lost events.
func (r *relister) setEvented(on bool) {
	if r.evented.Swap(on) != on && !on {
		r.relistSoon()
	}
}

// wait returns after the current period, or sooner when asked, but never
// sooner than period after the last relist; false when ctx ends.
func (r *relister) wait(ctx context.Context, last time.Time) bool {
	every := r.period
	if r.evented.Load() {
		every = r.eventedPeriod
	}
	timer := time.NewTimer(time.Until(last.Add(every)))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	case <-r.soon:
	}
	timer.Reset(time.Until(last.Add(r.period)))
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// run relists until ctx ends, calling report after each successful relist.
func (r *relister) run(ctx context.Context, report func(changed, present []types.UID, listed map[types.UID]podObjects)) error {
	for {
		if waitRuntime(ctx, r.waitRuntime) != nil {
			return nil
		}
		// Asks made until now are answered by this relist.
		select {
		case <-r.soon:
		default:
		}
		start := time.Now()
		if err := r.relist(ctx, report); err != nil && ctx.Err() == nil {
			warnUnlessOutage(r.log, err, "relist failed; will retry")
		}
		if !r.wait(ctx, start) {
			return nil
		}
	}
}

func (r *relister) relist(ctx context.Context, report func(changed, present []types.UID, listed map[types.UID]podObjects)) error {
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
	report(keys(changed), keys(present), objectsOf(changed, states, owner))
	return nil
}

// podObjects is what one list showed of a pod: its sandboxes' and
// containers' IDs and states (the CRI state names).
type podObjects map[string]string

// objectsOf groups the listed objects of the changed pods by pod.
func objectsOf(changed map[types.UID]bool, states map[string]string, owner map[string]types.UID) map[types.UID]podObjects {
	out := make(map[types.UID]podObjects, len(changed))
	for uid := range changed {
		out[uid] = podObjects{}
	}
	for id, state := range states {
		if objects, ok := out[owner[id]]; ok {
			objects[id] = state
		}
	}
	return out
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
