package prober

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Ready reports the container's `ready`: it has started (see Started) and
// its readiness probe has passed — or it has none. spec lets a container
// the manager has not been told about yet answer from its probes alone:
// without readiness and startup probes it is ready once running.
func (m *Manager) Ready(uid types.UID, spec *v1.Container, containerID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.container(uid, containerID)
	if c == nil {
		return spec.ReadinessProbe == nil && spec.StartupProbe == nil
	}
	return c.started && c.ready
}

// Started reports the container's `started`: its startup probe has passed,
// or it has none.
func (m *Manager) Started(uid types.UID, spec *v1.Container, containerID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.container(uid, containerID)
	if c == nil {
		return spec.StartupProbe == nil
	}
	return c.started
}

// LivenessFailed reports whether the container's liveness probe — or its
// startup probe — has failed failureThreshold times in a row, so the sync
// loop must kill it and let restartPolicy decide what follows. It stays
// true for that container ID; the restarted container is probed afresh.
func (m *Manager) LivenessFailed(uid types.UID, containerID string) (Restart, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.container(uid, containerID)
	if c == nil || c.restart == nil {
		return Restart{}, false
	}
	return *c.restart, true
}

// container returns a tracked container or nil. Callers hold m.mu.
func (m *Manager) container(uid types.UID, containerID string) *containerProbes {
	pp, ok := m.pods[uid]
	if !ok {
		return nil
	}
	return pp.containers[containerID]
}

// commit records a result that passed its threshold and reports whether
// the sync loop must hear of it, and whether the worker is done: a passed
// startup probe and a failed liveness or startup probe are final for this
// container ID.
func (m *Manager) commit(w *worker, result Result) (changed, done bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := w.c
	if m.container(c.uid, c.id) != c {
		return false, true // stopped meanwhile; nobody asks about it any more
	}
	switch {
	case w.kind == Readiness:
		ready := result == Success
		changed, c.ready = c.ready != ready, ready
	case w.kind == Startup && result == Success:
		changed, done, c.started = true, true, true
		for _, wake := range c.wake {
			select {
			case wake <- struct{}{}:
			default: // already woken
			}
		}
	case result == Failure: // liveness or startup
		changed, done = true, true
		c.restart = &Restart{
			Probe:              w.kind,
			Message:            fmt.Sprintf("Container %s failed %s probe, will be restarted", c.spec.Name, strings.ToLower(string(w.kind))),
			GracePeriodSeconds: w.probe.TerminationGracePeriodSeconds,
		}
	}
	return changed, done
}

// target is where the worker's probe goes right now, or false once the
// pod is gone.
func (m *Manager) target(c *containerProbes) (target, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pp, ok := m.pods[c.uid]
	if !ok || pp.containers[c.id] != c {
		return target{}, false
	}
	return target{pod: pp.pod, podIP: pp.podIP, container: c.spec, containerID: c.id}, true
}

// startedNow reports whether liveness and readiness may probe yet.
func (m *Manager) startedNow(c *containerProbes) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return c.started
}
