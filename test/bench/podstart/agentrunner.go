package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// agentRunner writes manifests into a running agent's directory and
// watches the runtime, not the agent, for the result. The agent's CRI
// calls come from its /metrics (kubelet_runtime_operations_total).
type agentRunner struct {
	agent *agentProcess
	watch *watcher
	image string
	api   *apiPods // when set, the pods come from kube-apiserver
}

func (r *agentRunner) manifest(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: kubia\n    image: %s\n", name, r.image)
}

func (r *agentRunner) selector() map[string]string {
	return map[string]string{translate.NodeLabel: r.agent.node}
}

// write writes a manifest atomically: the agent never reads half a file.
func (r *agentRunner) write(ctx context.Context, name string) error {
	if r.api != nil {
		return r.api.create(ctx, name)
	}
	tmp := filepath.Join(r.agent.manifests, "."+name)
	if err := os.WriteFile(tmp, []byte(r.manifest(name)), 0o644); err != nil {
		return fmt.Errorf("writing the manifest of %s: %w", name, err)
	}
	return os.Rename(tmp, filepath.Join(r.agent.manifests, name+".yaml"))
}

// round writes n manifests and waits until all pods run; then, if steady
// is set, measures the agent at rest with them; then deletes the n
// manifests at once and waits until every sandbox is gone.
func (r *agentRunner) round(ctx context.Context, n, round int, steady func(context.Context) error) (roundResult, error) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("mk-%d-%d-%d", n, round, i)
	}
	before, err := r.agent.client.metrics(ctx)
	if err != nil {
		return roundResult{}, err
	}
	start := time.Now()
	for _, name := range names {
		if err := r.write(ctx, name); err != nil {
			return roundResult{}, err
		}
	}
	starts, err := r.watch.untilRunning(ctx, start, r.selector(), names)
	if err != nil {
		return roundResult{}, fmt.Errorf("starting %d pods through minikubelet: %w", n, err)
	}
	var apiAll time.Duration
	if r.api != nil {
		at, err := r.api.waitRunning(ctx, names)
		if err != nil {
			return roundResult{}, fmt.Errorf("waiting for %d pods Running in the API server: %w", n, err)
		}
		apiAll = at.Sub(start)
	}
	started, err := r.quiet(ctx)
	if err != nil {
		return roundResult{}, err
	}
	if steady != nil {
		if err := steady(ctx); err != nil {
			return roundResult{}, err
		}
	}
	removing, err := r.agent.client.metrics(ctx)
	if err != nil {
		return roundResult{}, err
	}
	gone, err := r.removeAll(ctx, names)
	if err != nil {
		return roundResult{}, fmt.Errorf("removing %d pods through minikubelet: %w", n, err)
	}
	removed, err := r.quiet(ctx)
	if err != nil {
		return roundResult{}, err
	}
	return roundResult{start: starts, gone: gone, apiAll: apiAll,
		startOps: started.since(before).workOps(), removeOps: removed.since(removing).workOps()}, nil
}

// removeAll deletes the manifests at once and times each pod until its
// sandbox is gone.
func (r *agentRunner) removeAll(ctx context.Context, names []string) ([]time.Duration, error) {
	start := time.Now()
	for _, name := range names {
		if r.api != nil {
			if err := r.api.remove(ctx, name); err != nil {
				return nil, fmt.Errorf("deleting pod %s in the API server: %w", name, err)
			}
			continue
		}
		if err := os.Remove(filepath.Join(r.agent.manifests, name+".yaml")); err != nil {
			return nil, fmt.Errorf("deleting the manifest of %s: %w", name, err)
		}
	}
	gone, err := r.watch.untilGone(ctx, start, r.selector(), names)
	if err == nil && r.api != nil {
		err = r.api.waitDeleted(ctx) // finalised by the agent (grace 0) once gone
	}
	return gone, err
}

// quiet waits until a relist period passes with no CRI call but the
// relists' own, and returns the metrics then: the status reads the agent
// makes just after its pods run, or after they are gone, count for the
// start or the removal, not for what the bench does next. It gives up
// after quietMax, since periodic syncs may never leave a period empty.
func (r *agentRunner) quiet(ctx context.Context) (agentMetrics, error) {
	const period, quietMax = 1100 * time.Millisecond, 10 * time.Second
	last, err := r.agent.client.metrics(ctx)
	for deadline := time.Now().Add(quietMax); err == nil && time.Now().Before(deadline); {
		if err := sleep(ctx, period); err != nil {
			return last, err
		}
		var now agentMetrics
		if now, err = r.agent.client.metrics(ctx); err == nil && isQuiet(now.since(last)) {
			return now, nil
		}
		last = now
	}
	return last, err
}

// isQuiet reports a stretch with no CRI call but the relists' lists. A
// relist under way at a scrape has made its lists but not yet counted
// itself, so each list may be off by one.
func isQuiet(d agentMetrics) bool {
	for op, v := range d.workOps() {
		limit := 0.0
		if op == opListSandboxes || op == opListContainers {
			limit = 1
		}
		if v > limit || v < -limit {
			return false
		}
	}
	return true
}
