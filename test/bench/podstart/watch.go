package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// watcher observes the runtime, never the agent, for when pods run or are
// gone, the same way for minikubelet and for the floor. One poller lists
// every pod of a round at once: a poller per pod would load the runtime
// with n times the list calls and slow down what it measures. Its client
// is not the counted one, so its calls never show in the counts.
type watcher struct {
	rt    *cri.Client
	every time.Duration
}

// untilRunning returns, per named pod, the time from start until a
// running container of it matching selector was seen.
func (w *watcher) untilRunning(ctx context.Context, start time.Time, selector map[string]string, names []string) ([]time.Duration, error) {
	filter := &runtimeapi.ContainerFilter{LabelSelector: selector,
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}
	return w.track(ctx, start, names, true, "running", func(ctx context.Context) (map[string]bool, error) {
		cs, err := w.rt.ListContainers(ctx, filter)
		present := map[string]bool{}
		for _, c := range cs {
			present[c.GetLabels()[translate.PodNameLabel]] = true
		}
		return present, err
	})
}

// untilGone returns, per named pod, the time from start until no sandbox
// of it matching selector was left.
func (w *watcher) untilGone(ctx context.Context, start time.Time, selector map[string]string, names []string) ([]time.Duration, error) {
	filter := &runtimeapi.PodSandboxFilter{LabelSelector: selector}
	return w.track(ctx, start, names, false, "gone", func(ctx context.Context) (map[string]bool, error) {
		sbs, err := w.rt.ListPodSandbox(ctx, filter)
		present := map[string]bool{}
		for _, sb := range sbs {
			present[sb.GetLabels()[translate.PodNameLabel]] = true
		}
		return present, err
	})
}

// track polls list until every name is present (want) or absent (!want).
// A failed list is retried: under the load of 110 starting pods a list
// can time out without anything being wrong.
func (w *watcher) track(ctx context.Context, start time.Time, names []string, want bool, what string, list func(context.Context) (map[string]bool, error)) ([]time.Duration, error) {
	timeout := roundTimeout(len(names))
	ctx, cancel := context.WithDeadline(ctx, start.Add(timeout))
	defer cancel()
	p := newPending(names)
	var lastErr error
	for {
		present, err := list(ctx)
		if err == nil {
			p.mark(present, want, time.Since(start))
		} else {
			lastErr = err
		}
		if p.left == 0 {
			return p.times, nil
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("%d of %d pods not %s after %s: %s", p.left, len(names), what, timeout, strings.Join(p.missing(10), ", "))
			if lastErr != nil {
				msg += fmt.Sprintf(" (last failed list: %v)", lastErr)
			}
			return nil, fmt.Errorf("%s: %w", msg, ctx.Err())
		case <-time.After(w.every):
		}
	}
}

// pending records when each of a round's pods reached the state awaited.
type pending struct {
	names []string
	times []time.Duration // 0: not yet
	left  int
}

func newPending(names []string) *pending {
	return &pending{names: names, times: make([]time.Duration, len(names)), left: len(names)}
}

// mark records at for every pod not yet done whose presence is want.
func (p *pending) mark(present map[string]bool, want bool, at time.Duration) {
	for i, name := range p.names {
		if p.times[i] == 0 && present[name] == want {
			p.times[i] = max(at, time.Nanosecond)
			p.left--
		}
	}
}

// missing names up to limit pods not done yet, for the failure message.
func (p *pending) missing(limit int) []string {
	var out []string
	for i, name := range p.names {
		if p.times[i] == 0 && len(out) < limit {
			out = append(out, name)
		}
	}
	if p.left > limit {
		out = append(out, fmt.Sprintf("and %d more", p.left-limit))
	}
	return out
}
