package kubelet

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// killOrder is the kubelet's termination order for a pod with sidecars:
// among the containers stopped together, a sidecar gets its SIGTERM only
// once the app containers and the sidecars declared after it have exited,
// so the services a sidecar gives (a proxy, a log shipper) outlive what
// uses them. Its preStop hook runs at once, as under the kubelet
// (kuberuntime's killContainer runs the hook, then waits for its turn);
// the wait is bounded by what is left of its grace period.
type killOrder struct {
	mu     sync.Mutex
	exited map[string]chan struct{}   // by container ID; closed once stopped
	after  map[string][]chan struct{} // a sidecar's ID → what it waits for
}

// newKillOrder returns nil when nothing needs ordering: a pod without
// sidecars, or a kill list where no sidecar has anything to wait for (a
// sidecar restarted alone).
func newKillOrder(pod *v1.Pod, kills []containerKill) *killOrder {
	if pod == nil || !hasSidecars(pod) {
		return nil
	}
	// rank orders the stops: app containers first (the highest rank), then
	// sidecars from the last declared to the first. Regular init
	// containers, never running beside the others, wait for nothing.
	rank := map[string]int{}
	for i := range pod.Spec.InitContainers {
		if isSidecar(&pod.Spec.InitContainers[i]) {
			rank[pod.Spec.InitContainers[i].Name] = i + 1
		}
	}
	for _, c := range pod.Spec.Containers {
		rank[c.Name] = len(pod.Spec.InitContainers) + 1
	}
	o := &killOrder{exited: map[string]chan struct{}{}, after: map[string][]chan struct{}{}}
	for _, kill := range kills {
		o.exited[kill.ID] = make(chan struct{})
	}
	waits := false
	for _, kill := range kills {
		spec := specContainer(pod, kill.Name)
		if spec == nil || !isSidecar(spec) {
			continue
		}
		for _, other := range kills {
			if rank[other.Name] > rank[kill.Name] {
				o.after[kill.ID] = append(o.after[kill.ID], o.exited[other.ID])
				waits = true
			}
		}
	}
	if !waits {
		return nil
	}
	return o
}

// waitForTurn blocks until the container may be stopped, its grace
// period is over or ctx ends (a cancelled sync or the agent stopping: a
// container before it may never report stopped then), and returns the
// grace period left for the stop, never below the kubelet's minimum.
func (o *killOrder) waitForTurn(ctx context.Context, id string, grace int64) int64 {
	if o == nil || len(o.after[id]) == 0 {
		return grace
	}
	began := time.Now()
	deadline := time.NewTimer(translate.GraceDuration(grace))
	defer deadline.Stop()
wait:
	for _, ch := range o.after[id] {
		select {
		case <-ch:
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	return max(grace-int64(time.Since(began).Seconds()), translate.MinGracePeriodSeconds)
}

// stopped records that the container has exited, which may be the turn
// of a sidecar waiting for it.
func (o *killOrder) stopped(id string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if ch, ok := o.exited[id]; ok {
		close(ch)
		delete(o.exited, id)
	}
}
