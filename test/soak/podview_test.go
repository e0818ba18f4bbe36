//go:build e2e

package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// podViewPeriod is how often the view lists the agent's pods. One lister
// for every worker keeps the API's load steady, whatever the parallelism.
const podViewPeriod = 250 * time.Millisecond

// maxPodListBytes bounds one /pods answer the view reads.
const maxPodListBytes = 64 << 20

// podView keeps the latest list of the agent's pods, by name, and when it
// was asked for, so a worker can wait for a list newer than its action.
type podView struct {
	agent *framework.Agent

	mu      sync.Mutex
	changed *sync.Cond
	asked   time.Time
	pods    map[string]v1.Pod
	err     error
}

func newPodView(agent *framework.Agent) *podView {
	v := &podView{agent: agent}
	v.changed = sync.NewCond(&v.mu)
	return v
}

// run lists the pods every podViewPeriod until ctx ends.
func (v *podView) run(ctx context.Context) {
	ticker := time.NewTicker(podViewPeriod)
	defer ticker.Stop()
	for {
		asked := time.Now()
		pods, err := v.list(ctx)
		v.mu.Lock()
		v.asked, v.err = asked, err
		if err == nil {
			v.pods = pods
		}
		v.changed.Broadcast()
		v.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (v *podView) list(ctx context.Context) (map[string]v1.Pod, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := v.agent.Get(ctx, "/pods")
	if err != nil {
		return nil, fmt.Errorf("listing the agent's pods: %w", err)
	}
	defer resp.Body.Close()
	var list v1.PodList
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPodListBytes)).Decode(&list); err != nil {
		return nil, fmt.Errorf("decoding /pods: %w", err)
	}
	pods := make(map[string]v1.Pod, len(list.Items))
	for _, p := range list.Items {
		pods[p.Name] = p
	}
	return pods, nil
}

// count is how many pods the last list held.
func (v *podView) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.pods)
}

// wait blocks until a list asked for after `after` satisfies cond for the
// named pod (nil when the list has no such pod), or timeout passes; then
// it says what it last saw.
func (v *podView) wait(ctx context.Context, name string, after time.Time, timeout time.Duration, what string, cond func(*v1.Pod) bool) (*v1.Pod, error) {
	deadline := time.Now().Add(timeout)
	stop := context.AfterFunc(ctx, v.wake)
	defer stop()
	timer := time.AfterFunc(timeout, v.wake)
	defer timer.Stop()
	v.mu.Lock()
	defer v.mu.Unlock()
	var last *v1.Pod
	for {
		if !v.asked.Before(after) && v.err == nil {
			last = nil
			if p, ok := v.pods[name]; ok {
				last = &p
			}
			if cond(last) {
				return last, nil
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			seen, _ := json.Marshal(last)
			return nil, fmt.Errorf("pod %s: %s not reached within %s (last list error: %v); last seen: %s", name, what, timeout, v.err, seen)
		}
		v.changed.Wait()
	}
}

func (v *podView) wake() {
	v.mu.Lock()
	v.changed.Broadcast()
	v.mu.Unlock()
}
