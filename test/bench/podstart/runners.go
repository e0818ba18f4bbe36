package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
)

const pollEvery = 2 * time.Millisecond

// directRunner is the floor: the CRI calls the agent must make, made
// straight from a client with nothing in between.
type directRunner struct {
	rt     *cri.Client
	image  string
	logDir string
	seq    int
}

func (d *directRunner) round(ctx context.Context, n int) ([]time.Duration, error) {
	d.seq++
	ids := make([]string, n)
	times, err := parallel(n, func(i int) error {
		name := fmt.Sprintf("floor-%d-%d", d.seq, i)
		uid := fmt.Sprintf("floor-uid-%d-%d", d.seq, i)
		logDir := filepath.Join(d.logDir, uid)
		if err := os.MkdirAll(filepath.Join(logDir, "kubia"), 0o755); err != nil {
			return err
		}
		sbConfig := &runtimeapi.PodSandboxConfig{
			Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "bench", Uid: uid},
			Hostname:     name,
			LogDirectory: logDir,
			Labels:       map[string]string{"io.kubernetes.pod.name": name, "bench": "floor"},
		}
		if _, err := d.rt.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: d.image}, false); err != nil {
			return err
		}
		sb, err := d.rt.RunPodSandbox(ctx, sbConfig, "")
		if err != nil {
			return err
		}
		ids[i] = sb
		c, err := d.rt.CreateContainer(ctx, sb, &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "kubia"},
			Image:    &runtimeapi.ImageSpec{Image: d.image},
			LogPath:  "kubia/0.log",
			Labels:   sbConfig.Labels,
		}, sbConfig)
		if err != nil {
			return err
		}
		if err := d.rt.StartContainer(ctx, c); err != nil {
			return err
		}
		return waitRunning(ctx, d.rt, map[string]string{"io.kubernetes.pod.name": name, "bench": "floor"}, false)
	})
	for _, id := range ids {
		if id != "" {
			_ = d.rt.StopPodSandbox(ctx, id)
			_ = d.rt.RemovePodSandbox(ctx, id)
		}
	}
	return times, err
}

// agentRunner writes manifests into a running agent's directory and
// watches the runtime, not the agent, for the result.
type agentRunner struct {
	rt    *cri.Client
	image string
	dir   string
	node  string
	seq   int
}

func (a *agentRunner) manifest(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: kubia\n    image: %s\n", name, a.image)
}

func (a *agentRunner) write(name string) error {
	tmp := filepath.Join(a.dir, "."+name)
	if err := os.WriteFile(tmp, []byte(a.manifest(name)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(a.dir, name+".yaml"))
}

func (a *agentRunner) names(n int) []string {
	a.seq++
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("mk-%d-%d", a.seq, i)
	}
	return names
}

func (a *agentRunner) round(ctx context.Context, n int) ([]time.Duration, error) {
	names := a.names(n)
	times, err := parallel(n, func(i int) error {
		if err := a.write(names[i]); err != nil {
			return err
		}
		return waitRunning(ctx, a.rt, a.selector(names[i]), false)
	})
	if rmErr := a.remove(ctx, names); err == nil {
		err = rmErr
	}
	return times, err
}

func (a *agentRunner) selector(name string) map[string]string {
	return map[string]string{"io.kubernetes.pod.name": name, "io.minikubelet.node": a.node}
}

// remove deletes the manifests and waits until the sandboxes are gone.
func (a *agentRunner) remove(ctx context.Context, names []string) error {
	_, err := parallel(len(names), func(i int) error {
		if err := os.Remove(filepath.Join(a.dir, names[i]+".yaml")); err != nil {
			return err
		}
		return waitGone(ctx, a.rt, a.selector(names[i]))
	})
	return err
}

func (a *agentRunner) deletionRound(ctx context.Context, rounds int) ([]time.Duration, error) {
	var out []time.Duration
	for i := 0; i < rounds; i++ {
		names := a.names(1)
		if err := a.write(names[0]); err != nil {
			return nil, err
		}
		if err := waitRunning(ctx, a.rt, a.selector(names[0]), false); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := a.remove(ctx, names); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

var running []string

func (a *agentRunner) startAll(ctx context.Context, n int) error {
	running = a.names(n)
	_, err := parallel(n, func(i int) error {
		if err := a.write(running[i]); err != nil {
			return err
		}
		return waitRunning(ctx, a.rt, a.selector(running[i]), false)
	})
	return err
}

func (a *agentRunner) removeAll(ctx context.Context) error { return a.remove(ctx, running) }

func waitRunning(ctx context.Context, rt *cri.Client, selector map[string]string, _ bool) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	filter := &runtimeapi.ContainerFilter{
		LabelSelector: selector,
		State:         &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING},
	}
	for {
		cs, err := rt.ListContainers(ctx, filter)
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no running container for %v: %w", selector, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

func waitGone(ctx context.Context, rt *cri.Client, selector map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		sbs, err := rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: selector})
		if err != nil {
			return err
		}
		if len(sbs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sandbox for %v still there: %w", selector, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}
