package prober

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
)

// worker runs one probe of one container until its context ends or the
// probe reaches a final result.
type worker struct {
	m      *Manager
	c      *containerProbes
	kind   ProbeType
	probe  *v1.Probe
	timing timing
	// wake gets a signal when the startup probe passes; nil for the
	// startup worker itself.
	wake chan struct{}

	// lastResult and streak count equal results in a row for the
	// thresholds; only the worker's goroutine touches them.
	lastResult Result
	streak     int
}

// run waits for initialDelaySeconds from the container's start, then — for
// liveness and readiness once the startup probe has passed — probes every
// periodSeconds. Unlike the kubelet, which checks the delay on its period
// ticks, the first probe runs the moment the delay ends or startup passes.
func (w *worker) run(ctx context.Context) {
	defer w.m.running.Done()
	if !sleep(ctx, time.Until(w.c.startedAt.Add(w.timing.initialDelay))) {
		return
	}
	for {
		if w.kind != Startup && !w.m.startedNow(w.c) {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
				continue
			}
		}
		if done := w.probeOnce(ctx); done {
			return
		}
		if !sleep(ctx, w.timing.period) {
			return
		}
	}
}

// probeOnce runs the probe, counts it, and commits the result once it has
// held for its threshold. It reports whether the worker is done.
func (w *worker) probeOnce(ctx context.Context) bool {
	t, ok := w.m.target(w.c)
	if !ok {
		return true
	}
	out := runProbe(ctx, w.m.cfg.Runtime, w.m.http, w.kind, w.probe, t)
	if ctx.Err() != nil {
		return true // stopped mid-run: the outcome says nothing about the container
	}
	pod := t.pod
	w.m.metrics.observe(w.kind, out.result, w.c.spec.Name, pod.Name, pod.Namespace, pod.UID)
	w.report(out)
	if out.result == Unknown {
		return false // the kubelet throws errored runs away
	}
	if out.result == w.lastResult {
		w.streak++
	} else {
		w.lastResult, w.streak = out.result, 1
	}
	if (out.result == Failure && w.streak < w.timing.failureThreshold) ||
		(out.result == Success && w.streak < w.timing.successThreshold) {
		return false
	}
	changed, done := w.m.commit(w, out.result)
	if changed {
		w.m.log.Info("probe result changed", "pod", pod.Namespace+"/"+pod.Name, "container", w.c.spec.Name,
			"probe", string(w.kind), "result", string(out.result), "output", shorten(out.message))
		if w.m.cfg.OnChange != nil {
			w.m.cfg.OnChange(pod.UID)
		}
	}
	return done
}

// report turns a failed or errored run into the kubelet's Unhealthy event,
// and a success with a warning into its ProbeWarning event.
func (w *worker) report(out outcome) {
	if w.m.cfg.OnEvent == nil {
		return
	}
	if out.result == Success {
		if out.warning {
			w.m.cfg.OnEvent(Event{PodUID: w.c.uid, Container: w.c.spec.Name, Reason: EventProbeWarning,
				Message: string(w.kind) + " probe warning: " + out.message})
		}
		return
	}
	verb := "failed"
	if out.result == Unknown {
		verb = "errored"
	}
	w.m.cfg.OnEvent(Event{
		PodUID: w.c.uid, Container: w.c.spec.Name, Reason: EventUnhealthy,
		Message: string(w.kind) + " probe " + verb + ": " + out.message,
	})
}

// sleep waits for d or the end of ctx and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
