package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// What the metrics API (metrics.k8s.io, `kubectl top`) serves is CPU as a
// rate, which takes two samples. The stats cache keeps the snapshots it
// fetched over the last maxUsageWindow; a rate is taken against the oldest
// of them that is at least minUsageWindow older than the newest, as
// metrics-server takes one between its last two scrapes. Without one (the
// first `top`, or none for a while) Usage fetches again after
// minUsageWindow, so the first answer takes about a second.
const (
	minUsageWindow = time.Second
	maxUsageWindow = 15 * time.Second
	// maxKeptSnapshots bounds the kept snapshots however often scrapes come.
	maxKeptSnapshots = 32
)

// Usage is the node's and its containers' resource usage, as
// metrics.k8s.io serves it.
type Usage struct {
	// Node is the node's usage.
	Node ResourceUsage
	// Containers are the running containers' usage, for those with two
	// samples.
	Containers []ContainerUsage
}

// ContainerUsage is one running container's usage.
type ContainerUsage struct {
	Namespace, Pod, Container string
	ResourceUsage
}

// ResourceUsage is CPU and memory over a window ending at Timestamp.
type ResourceUsage struct {
	// CPUNanoCores is the average CPU use over Window, in billionths of a
	// core.
	CPUNanoCores uint64
	// MemoryBytes is the working set at Timestamp.
	MemoryBytes uint64
	Timestamp   time.Time
	Window      time.Duration
	// OK is false when there is no figure (one sample only).
	OK bool
}

// history holds the snapshots the cache fetched, oldest first.
type history struct {
	mu        sync.Mutex
	snapshots []*snapshot
}

// remember keeps a fetched snapshot, dropping those too old to pair with
// it and the oldest past maxKeptSnapshots.
func (h *history) remember(s *snapshot) {
	if s.err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.snapshots = append(h.snapshots, s)
	keep := 0
	for keep < len(h.snapshots)-1 && (s.fetchedAt.Sub(h.snapshots[keep].fetchedAt) > maxUsageWindow || len(h.snapshots)-keep > maxKeptSnapshots) {
		keep++
	}
	h.snapshots = append([]*snapshot(nil), h.snapshots[keep:]...)
}

// baseline returns the oldest kept snapshot that is between
// minUsageWindow and maxUsageWindow older than latest.
func (h *history) baseline(latest *snapshot) *snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.snapshots {
		age := latest.fetchedAt.Sub(s.fetchedAt)
		if age <= maxUsageWindow && age >= minUsageWindow {
			return s
		}
	}
	return nil
}

// Usage returns the current usage, fetching stats as needed; see
// minUsageWindow. ctx bounds the wait.
func (h *Handlers) Usage(ctx context.Context) (Usage, error) {
	latest := h.cache.get(ctx)
	if latest.err != nil {
		return Usage{}, fmt.Errorf("reading runtime stats: %w", latest.err)
	}
	base := h.cache.history.baseline(latest)
	if base == nil {
		base = latest
		wait := time.NewTimer(minUsageWindow - h.cache.now().Sub(latest.fetchedAt))
		defer wait.Stop()
		select {
		case <-wait.C:
		case <-ctx.Done():
			return Usage{}, ctx.Err()
		}
		if latest = h.cache.get(ctx); latest.err != nil {
			return Usage{}, fmt.Errorf("reading runtime stats: %w", latest.err)
		}
	}
	if latest == base {
		return Usage{}, errors.New("no second stats sample yet")
	}
	return usageBetween(base, latest), nil
}

// usageBetween computes usage from two snapshots: CPU as the rate between
// them of each container (matched by ID) and of the node, memory as the
// later working set.
func usageBetween(base, latest *snapshot) Usage {
	earlier := make(map[string]*containerSample, len(base.containers))
	for i := range base.containers {
		earlier[base.containers[i].id] = &base.containers[i]
	}
	var out Usage
	out.Node = resourceUsage(base.node.cpu, latest.node.cpu, latest.node.workingSet, base.fetchedAt, latest.fetchedAt)
	for i := range latest.containers {
		c := &latest.containers[i]
		before, ok := earlier[c.id]
		if !ok {
			continue // started since: no rate yet
		}
		usage := resourceUsage(before.cpu, c.cpu, c.workingSet, base.fetchedAt, latest.fetchedAt)
		if usage.OK {
			out.Containers = append(out.Containers, ContainerUsage{Namespace: c.namespace, Pod: c.pod, Container: c.name, ResourceUsage: usage})
		}
	}
	return out
}

// resourceUsage is the CPU rate between two cumulative samples and the
// memory sample, timed by the runtime's stamps where it gives them.
func resourceUsage(cpuBefore, cpuAfter, memory sample, fetchedBefore, fetchedAfter time.Time) ResourceUsage {
	if !cpuBefore.ok || !cpuAfter.ok || !memory.ok || cpuAfter.value < cpuBefore.value {
		return ResourceUsage{}
	}
	start, end := stamp(cpuBefore, fetchedBefore), stamp(cpuAfter, fetchedAfter)
	window := end.Sub(start)
	if window <= 0 {
		return ResourceUsage{}
	}
	coreSeconds := cpuAfter.value - cpuBefore.value
	return ResourceUsage{
		CPUNanoCores: uint64(coreSeconds / window.Seconds() * 1e9),
		MemoryBytes:  uint64(memory.value),
		Timestamp:    end,
		Window:       window,
		OK:           true,
	}
}

// stamp is when a sample was taken: the runtime's time, else the fetch's.
func stamp(s sample, fetched time.Time) time.Time {
	if s.at.IsZero() {
		return fetched
	}
	return s.at
}
