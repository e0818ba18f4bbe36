//go:build e2e

package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Generous bounds on each step: the machine has 2 cores shared with other
// tests, and a step that overruns them is a failure worth reading.
const (
	startTimeout = 3 * time.Minute
	goneTimeout  = 2 * time.Minute
	// deleteWhileStartingMin/Max bound how long after its manifest a
	// deleted-while-starting pod's manifest is removed: past the agent's
	// 150 ms debounce, and within a sandbox's start under load.
	deleteWhileStartingMin = 150 * time.Millisecond
	deleteWhileStartingMax = 1200 * time.Millisecond
)

// churn runs the soak's pods through the agent: Parallel workers, each
// taking the next lifecycles from a shared budget until it is spent.
type churn struct {
	agent *framework.Agent
	view  *podView
	cfg   Config
	seed  uint64

	// gate is held shared by every worker while a pod changes (written,
	// starting, being deleted), and exclusively by an inventory check,
	// which so sees only pods that are running (or crash-looping) and
	// steady.
	gate sync.RWMutex

	unclaimed atomic.Int64 // lifecycles no worker has taken yet
	ended     atomic.Int64 // lifecycles that have ended

	ports hostPorts

	mu       sync.Mutex
	byKind   map[Kind]int
	inPlace  int // manifests written in place rather than renamed
	restarts int // container restarts seen on crash-loop and liveness pods
	// starts and removals are how long pods took to get started (as far
	// as their kind goes) and to be gone, by kind.
	starts, removals map[Kind][]time.Duration
}

func newChurn(agent *framework.Agent, view *podView, cfg Config, seed uint64) *churn {
	return &churn{agent: agent, view: view, cfg: cfg, seed: seed,
		byKind: map[Kind]int{}, starts: map[Kind][]time.Duration{}, removals: map[Kind][]time.Duration{},
		ports: hostPorts{inUse: map[int]bool{}}}
}

// run churns budget lifecycles and returns the first error.
func (c *churn) run(ctx context.Context, budget int) error {
	c.unclaimed.Store(int64(budget))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for worker := range c.cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.worker(ctx, rand.New(rand.NewPCG(c.seed, uint64(worker)))); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// warmUp runs one pod of each kind at once, outside the budget.
func (c *churn) warmUp(ctx context.Context) error {
	errs := make(chan error, len(Kinds()))
	for i, kind := range Kinds() {
		go func() {
			r := rand.New(rand.NewPCG(c.seed, uint64(1000+i)))
			units := 1
			if kind == KindEdited {
				units = 2
			}
			errs <- c.lifecycle(ctx, r, kind, units)
		}()
	}
	var all []error
	for range Kinds() {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

func (c *churn) worker(ctx context.Context, r *rand.Rand) error {
	for ctx.Err() == nil {
		kind := PickKind(r, c.cfg.Kinds)
		want := 1
		if kind == KindEdited {
			want = 2 + r.IntN(2) // one or two edits
		}
		units := c.claim(want)
		if units == 0 {
			return nil
		}
		if kind == KindEdited && units < 2 {
			kind = KindPlain
		}
		if err := c.lifecycle(ctx, r, kind, units); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// claim takes up to want lifecycles from the budget.
func (c *churn) claim(want int) int {
	for {
		left := c.unclaimed.Load()
		if left <= 0 {
			return 0
		}
		take := min(int64(want), left)
		if c.unclaimed.CompareAndSwap(left, left-take) {
			return int(take)
		}
	}
}

// lifecycle runs one soak pod from its first manifest to its deletion:
// units lifecycles, since each edit replaces the pod with a new one.
func (c *churn) lifecycle(ctx context.Context, r *rand.Rand, kind Kind, units int) error {
	m := Manifest{Kind: kind, Name: framework.UniqueName("soak-" + string(kind)), Image: c.agent.Env.KubiaImage}
	if kind == KindHostPort {
		port, err := c.ports.take()
		if err != nil {
			return err
		}
		defer c.ports.give(port)
		m.HostPort = port
	}
	if kind == KindDeletedStarting {
		return c.deleteWhileStarting(ctx, r, m)
	}
	var uid types.UID
	err := c.transition(ctx, func() (err error) {
		uid, err = c.start(ctx, r, m, "")
		return err
	})
	if err != nil {
		return err
	}
	for edit := 1; edit < units; edit++ {
		if err := c.hold(ctx, r); err != nil {
			return err
		}
		m.Edit = edit
		err := c.transition(ctx, func() (err error) {
			uid, err = c.start(ctx, r, m, uid)
			return err
		})
		if err != nil {
			return fmt.Errorf("edit %d: %w", edit, err)
		}
		c.end(kind)
	}
	if err := c.hold(ctx, r); err != nil {
		return err
	}
	if err := c.transition(ctx, func() error { return c.remove(ctx, m) }); err != nil {
		return err
	}
	c.end(kind)
	return nil
}

func (c *churn) deleteWhileStarting(ctx context.Context, r *rand.Rand, m Manifest) error {
	err := c.transition(ctx, func() error {
		if err := c.write(r, m); err != nil {
			return err
		}
		delay := deleteWhileStartingMin + time.Duration(r.Int64N(int64(deleteWhileStartingMax-deleteWhileStartingMin)))
		if err := sleep(ctx, delay); err != nil {
			return err
		}
		return c.remove(ctx, m)
	})
	if err != nil {
		return err
	}
	c.end(m.Kind)
	return nil
}

// transition runs fn holding the gate shared, unless the churn is over:
// nothing is written once the test has stopped it.
func (c *churn) transition(ctx context.Context, fn func() error) error {
	c.gate.RLock()
	defer c.gate.RUnlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn()
}

// start writes m and waits until its pod, with a UID other than old, has
// got as far as its kind goes: running, ready, or restarted.
func (c *churn) start(ctx context.Context, r *rand.Rand, m Manifest, old types.UID) (types.UID, error) {
	written := time.Now()
	if err := c.write(r, m); err != nil {
		return "", err
	}
	what, cond := startedCondition(m.Kind)
	pod, err := c.view.wait(ctx, m.Name, written, startTimeout, what, func(p *v1.Pod) bool {
		return p != nil && p.UID != old && p.DeletionTimestamp == nil && cond(p)
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.starts[m.Kind] = append(c.starts[m.Kind], time.Since(written))
	if m.Kind.ContainersMayBeDown() {
		c.restarts += int(pod.Status.ContainerStatuses[0].RestartCount)
	}
	c.mu.Unlock()
	if m.Kind == KindHostPort {
		if err := c.checkHostPort(ctx, m); err != nil {
			return "", err
		}
	}
	return pod.UID, nil
}

// startedCondition is how far each kind's pod must get.
func startedCondition(kind Kind) (string, func(*v1.Pod) bool) {
	switch kind {
	case KindCrashLoop, KindFailingLiveness:
		return "restarted at least once", func(p *v1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && cs[0].RestartCount >= 1
		}
	case KindInit:
		return "init containers done and app running", func(p *v1.Pod) bool {
			for _, ic := range p.Status.InitContainerStatuses {
				if ic.State.Terminated == nil || ic.State.Terminated.ExitCode != 0 {
					return false
				}
			}
			return len(p.Status.InitContainerStatuses) == 2 && framework.Running(p)
		}
	case KindSharedDir:
		return "ready: side read what web wrote", func(p *v1.Pod) bool {
			return framework.Running(p) && podReady(p)
		}
	}
	return "running", framework.Running
}

func podReady(p *v1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// checkHostPort asks the pod through its host port on loopback.
func (c *churn) checkHostPort(ctx context.Context, m Manifest) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, err := framework.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", m.HostPort))
	if err != nil {
		return fmt.Errorf("pod %s through host port %d: %w", m.Name, m.HostPort, err)
	}
	if want := "You've hit " + m.Name + "\n"; body != want {
		return fmt.Errorf("pod %s through host port %d answered %q, want %q", m.Name, m.HostPort, body, want)
	}
	return nil
}

// remove deletes the manifest and waits until the pod is gone.
func (c *churn) remove(ctx context.Context, m Manifest) error {
	removed := time.Now()
	if err := os.Remove(c.path(m.Name)); err != nil {
		return fmt.Errorf("removing the manifest of %s: %w", m.Name, err)
	}
	if _, err := c.view.wait(ctx, m.Name, removed, goneTimeout, "gone after its manifest was removed", func(p *v1.Pod) bool { return p == nil }); err != nil {
		return err
	}
	c.mu.Lock()
	c.removals[m.Kind] = append(c.removals[m.Kind], time.Since(removed))
	c.mu.Unlock()
	return nil
}

// write writes the manifest, usually atomically (a temporary file renamed
// over it), one time in four in place (truncated and rewritten), as
// editors and shells do.
func (c *churn) write(r *rand.Rand, m Manifest) error {
	path := c.path(m.Name)
	data := []byte(m.YAML())
	if r.IntN(4) == 0 {
		c.mu.Lock()
		c.inPlace++
		c.mu.Unlock()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("writing %s in place: %w", path, err)
		}
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s over %s: %w", tmp, path, err)
	}
	return nil
}

func (c *churn) path(name string) string { return filepath.Join(c.agent.ManifestDir, name+".yaml") }

// hold leaves a started pod running for a random while.
func (c *churn) hold(ctx context.Context, r *rand.Rand) error {
	return sleep(ctx, c.cfg.HoldMin+time.Duration(r.Int64N(int64(c.cfg.HoldMax-c.cfg.HoldMin)+1)))
}

// reset forgets the counts, after the warm-up.
func (c *churn) reset() {
	c.ended.Store(0)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byKind, c.inPlace, c.restarts = map[Kind]int{}, 0, 0
	c.starts, c.removals = map[Kind][]time.Duration{}, map[Kind][]time.Duration{}
}

func (c *churn) end(kind Kind) {
	c.ended.Add(1)
	c.mu.Lock()
	c.byKind[kind]++
	c.mu.Unlock()
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// hostPorts hands out free loopback ports, never one of ours in use: a
// host port is only a DNAT rule, which does not keep the kernel from
// offering the same port again.
type hostPorts struct {
	mu    sync.Mutex
	inUse map[int]bool
}

func (h *hostPorts) take() (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("finding a free host port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		h.mu.Lock()
		free := !h.inUse[port]
		h.inUse[port] = true
		h.mu.Unlock()
		if free {
			return port, nil
		}
	}
	return 0, errors.New("no free host port in 100 tries")
}

func (h *hostPorts) give(port int) {
	h.mu.Lock()
	delete(h.inUse, port)
	h.mu.Unlock()
}
