package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
)

// floorLabel marks the floor's sandboxes and containers with the run's id,
// so a round sees only its own pods and a leftover of an earlier run is
// never mistaken for one of them.
const floorLabel = "io.minikubelet.bench"

// floorRunner is the floor: the CRI calls the agent must make to start and
// remove a pod, made straight from a client with nothing in between. The
// agent runs one worker per pod with no limit on how many run at once
// (kubelet/workers.go), so the floor starts and removes all n pods of a
// round at once too.
type floorRunner struct {
	rt     *cri.Client // counted by ops
	ops    *opCounter
	watch  *watcher
	image  string
	logDir string
	runID  string
	cgroup string // parent of the pods' cgroups
	// restWindow, when set, is how long the last round's pods run before
	// removal while the floor relists them as the agent does at rest.
	restWindow time.Duration
}

// floorPod is one pod of a round, with its sandbox once it has one.
type floorPod struct {
	name, uid, sandbox string
}

func (f *floorRunner) selector() map[string]string { return map[string]string{floorLabel: f.runID} }

func (f *floorRunner) pods(n, round int) []*floorPod {
	pods := make([]*floorPod, n)
	for i := range pods {
		name := fmt.Sprintf("floor-%d-%d-%d", n, round, i)
		pods[i] = &floorPod{name: name, uid: f.runID + "-" + name}
	}
	return pods
}

// round starts n pods at once and waits until all run, then removes them
// all at once and waits until their sandboxes are gone.
func (f *floorRunner) round(ctx context.Context, n, round int, last bool) (roundResult, error) {
	pods := f.pods(n, round)
	before := f.ops.snapshot()
	starts, err := f.timed(ctx, pods, f.startAll, f.watch.untilRunning)
	if err != nil {
		return roundResult{}, fmt.Errorf("starting %d pods directly: %w", n, err)
	}
	started := f.ops.snapshot()
	var restCPU float64
	if last && f.restWindow > 0 {
		progress("%d pods, floor at rest: relisting every second for %s", n, f.restWindow)
		if restCPU, err = f.atRest(ctx); err != nil {
			return roundResult{}, fmt.Errorf("floor at rest with %d pods: %w", n, err)
		}
	}
	rested := f.ops.snapshot()
	gone, err := f.timed(ctx, pods, f.removeAll, f.watch.untilGone)
	if err != nil {
		return roundResult{}, fmt.Errorf("removing %d pods directly: %w", n, err)
	}
	return roundResult{start: starts, gone: gone, startOps: started.minus(before),
		removeOps: f.ops.snapshot().minus(rested), restCPU: restCPU}, nil
}

// atRest makes the floor's relist, one list of its sandboxes and one of
// its containers, every second for restWindow, as the agent's relist does
// on a runtime without an event stream, and returns this process's CPU
// over the window in % of a core: what an agent that did nothing but
// relist would cost. Nothing else of the bench runs meanwhile. round
// counts its starts before the window and its removals after it, so the
// window's lists are in neither.
func (f *floorRunner) atRest(ctx context.Context) (float64, error) {
	cpu0, err := procCPU(os.Getpid())
	if err != nil {
		return 0, err
	}
	start := time.Now()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	filter := f.selector()
	for time.Since(start) < f.restWindow {
		if _, err := f.rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: filter}); err != nil {
			return 0, err
		}
		if _, err := f.rt.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: filter}); err != nil {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-ticker.C:
		}
	}
	cpu1, err := procCPU(os.Getpid())
	if err != nil {
		return 0, err
	}
	return (cpu1 - cpu0).Seconds() / time.Since(start).Seconds() * 100, nil
}

// watchFunc is a watcher's untilRunning or untilGone.
type watchFunc func(ctx context.Context, start time.Time, selector map[string]string, names []string) ([]time.Duration, error)

// timed runs work on the pods while watch times each of them from now. A
// failure of work ends the watch at once instead of letting it wait for
// pods that never come; the calls of work are all done when it returns,
// so the counts after it are whole.
func (f *floorRunner) timed(ctx context.Context, pods []*floorPod, work func(context.Context, []*floorPod) error, watch watchFunc) ([]time.Duration, error) {
	names := make([]string, len(pods))
	for i, p := range pods {
		names[i] = p.name
	}
	watchCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		err := work(ctx, pods)
		if err != nil {
			cancel()
		}
		done <- err
	}()
	times, watchErr := watch(watchCtx, start, f.selector(), names)
	if err := <-done; err != nil {
		return nil, err
	}
	return times, watchErr
}

func (f *floorRunner) startAll(ctx context.Context, pods []*floorPod) error {
	var g errgroup.Group
	for _, p := range pods {
		g.Go(func() error { return f.start(ctx, p) })
	}
	return g.Wait()
}

// start makes the calls the agent makes for a new pod of one container:
// ImageStatus, RunPodSandbox, CreateContainer, StartContainer.
func (f *floorRunner) start(ctx context.Context, p *floorPod) error {
	logDir := filepath.Join(f.logDir, p.uid)
	if err := os.MkdirAll(filepath.Join(logDir, "kubia"), 0o755); err != nil {
		return err
	}
	hosts, termination, err := podFiles(logDir)
	if err != nil {
		return err
	}
	sbConfig := f.sandboxConfig(p, logDir)
	if _, err := f.rt.ImageStatus(ctx, imageSpec(f.image), false); err != nil {
		return fmt.Errorf("pod %s: %w", p.name, err)
	}
	if p.sandbox, err = f.rt.RunPodSandbox(ctx, sbConfig, ""); err != nil {
		return fmt.Errorf("pod %s: %w", p.name, err)
	}
	c, err := f.rt.CreateContainer(ctx, p.sandbox, containerConfig(f.image, sbConfig.Labels, hosts, termination), sbConfig)
	if err != nil {
		return fmt.Errorf("pod %s: %w", p.name, err)
	}
	if err := f.rt.StartContainer(ctx, c); err != nil {
		return fmt.Errorf("pod %s: %w", p.name, err)
	}
	return nil
}

// removeAll stops and removes every sandbox at once, as the agent does
// for pods whose manifests went away together.
func (f *floorRunner) removeAll(ctx context.Context, pods []*floorPod) error {
	var g errgroup.Group
	for _, p := range pods {
		g.Go(func() error {
			if err := f.rt.StopPodSandbox(ctx, p.sandbox); err != nil {
				return fmt.Errorf("pod %s: %w", p.name, err)
			}
			if err := f.rt.RemovePodSandbox(ctx, p.sandbox); err != nil {
				return fmt.Errorf("pod %s: %w", p.name, err)
			}
			return os.RemoveAll(filepath.Join(f.logDir, p.uid))
		})
	}
	err := g.Wait()
	for _, p := range pods {
		removeCgroup(f.cgroup + "/pod" + p.uid)
	}
	return err
}
