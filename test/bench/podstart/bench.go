package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// bench is one run: the runtime, the floor and the work directory shared
// by every pod count.
type bench struct {
	opts        options
	env         map[string]string
	image       string
	runID       string
	work        string
	rt          *cri.Client // for watching and cleaning up; not counted
	floorRT     *cri.Client // the floor's, counted by floor.ops
	floor       *floorRunner
	watch       *watcher
	leaksBefore map[string]bool
	cluster     *clusterBed // nil: pods from manifests
}

func newBench(ctx context.Context, opts options, env map[string]string) (*bench, error) {
	endpoint := env["RUNTIME_ENDPOINT"]
	if endpoint == "" || env["KUBIA_IMAGE"] == "" {
		return nil, fmt.Errorf("%s lacks RUNTIME_ENDPOINT or KUBIA_IMAGE: is it a test bed env file?", opts.envFile)
	}
	b := &bench{opts: opts, env: env, image: env["KUBIA_IMAGE"], runID: fmt.Sprintf("bench-%d", os.Getpid())}
	var err error
	quiet := slog.New(slog.DiscardHandler)
	if b.rt, err = cri.Dial(ctx, cri.Config{Endpoint: endpoint, Logger: quiet}); err != nil {
		return nil, fmt.Errorf("connecting to the runtime at %s (run `make testbed-up`): %w", endpoint, err)
	}
	ops := &opCounter{}
	if b.floorRT, err = cri.Dial(ctx, cri.Config{Endpoint: endpoint, Logger: quiet, Observer: ops}); err != nil {
		b.rt.Close(ctx)
		return nil, fmt.Errorf("connecting to the runtime at %s: %w", endpoint, err)
	}
	if b.work, err = os.MkdirTemp("", "podstart-"); err != nil {
		b.close()
		return nil, err
	}
	if opts.clusterEnv != "" {
		if b.cluster, err = newClusterBed(opts.clusterEnv); err != nil {
			b.close()
			return nil, err
		}
	}
	b.watch = &watcher{rt: b.rt, every: opts.poll}
	b.floor = &floorRunner{rt: b.floorRT, ops: ops, watch: b.watch, image: b.image,
		logDir: filepath.Join(b.work, "floor-logs"), runID: b.runID, cgroup: "/minikubelet-bench/floor-" + b.runID,
		restWindow: opts.idle}
	return b, nil
}

func (b *bench) close() {
	ctx := context.Background()
	if b.work != "" {
		os.RemoveAll(b.work)
	}
	removeCgroup(b.floor.cgroup)
	b.floorRT.Close(ctx)
	b.rt.Close(ctx)
}

// prepare pulls the image, so no round waits for it, and notes what the
// runtime already holds, so the checks blame the bench only for its own.
func (b *bench) prepare(ctx context.Context) error {
	progress("pulling %s", b.image)
	if _, err := b.rt.PullImage(ctx, imageSpec(b.image), nil, nil); err != nil {
		return fmt.Errorf("pulling %s: %w", b.image, err)
	}
	var err error
	if b.leaksBefore, err = b.leakBaseline(ctx); err != nil {
		return err
	}
	if len(b.leaksBefore) > 0 {
		progress("note: %d host-local addresses were already held for missing sandboxes before the run; they are not counted", len(b.leaksBefore))
	}
	return nil
}

// measure runs one pod count: a fresh agent, so its footprint is that of
// an agent running n pods and not what earlier counts left behind; then
// the rounds, floor and minikubelet interleaved, the last one measuring
// the agent at rest before it removes its pods; then the inventory.
func (b *bench) measure(ctx context.Context, n int) (scaleResult, error) {
	res := scaleResult{n: n, rounds: b.opts.roundsFor(n)}
	node := fmt.Sprintf("%s-%d", b.runID, n)
	progress("%d pods: starting minikubelet (node %s)", n, node)
	var joinArgs []string
	if b.cluster != nil {
		var err error
		if joinArgs, err = b.cluster.agentArgs(filepath.Join(b.work, node), node); err != nil {
			return res, err
		}
		defer b.cluster.deleteNode(node)
	}
	agent, err := startAgent(ctx, b.opts.agentBin, b.env, b.work, node, joinArgs...)
	if err != nil {
		return res, err
	}
	defer b.retire(agent)
	runner := &agentRunner{agent: agent, watch: b.watch, image: b.image}
	if b.cluster != nil {
		if err := b.cluster.waitReady(ctx, node); err != nil {
			return res, fmt.Errorf("%w\nagent log (%s), last lines:\n%s", err, agent.logPath, agent.logTail())
		}
		runner.api = &apiPods{bed: b.cluster, node: node, image: b.image}
	}
	for r := 1; r <= res.rounds; r++ {
		progress("%d pods, round %d/%d: floor (direct CRI calls)", n, r, res.rounds)
		fr, err := b.floor.round(ctx, n, r, r == res.rounds)
		if err != nil {
			b.sweep(context.WithoutCancel(ctx), b.floor.selector())
			return res, fmt.Errorf("floor, round %d: %w", r, err)
		}
		res.floor.add(fr)
		progress("%d pods, round %d/%d: minikubelet", n, r, res.rounds)
		var steady func(context.Context) error
		if r == res.rounds {
			steady = func(ctx context.Context) (err error) {
				res.steady, err = b.steadyState(ctx, agent, n)
				return err
			}
		}
		ar, err := runner.round(ctx, n, r, steady)
		if err != nil {
			return res, fmt.Errorf("minikubelet, round %d: %w\nagent log (%s), last lines:\n%s", r, err, agent.logPath, agent.logTail())
		}
		res.agent.add(ar)
	}
	progress("%d pods: checking that nothing is left", n)
	res.inventory = b.inventory(ctx, node)
	return res, nil
}

// retire removes what a failed round left of the agent's pods through the
// agent itself, stops it, and removes the rest directly, saying so.
func (b *bench) retire(a *agentProcess) {
	ctx, cancel := context.WithTimeout(context.Background(), roundTimeout(110))
	defer cancel()
	if b.cluster != nil {
		b.cluster.deleteNodePods(ctx, a.node)
	}
	entries, _ := os.ReadDir(a.manifests)
	for _, e := range entries {
		_ = os.Remove(filepath.Join(a.manifests, e.Name()))
	}
	selector := map[string]string{translate.NodeLabel: a.node}
	if len(entries) > 0 {
		progress("removing the %d pods a failed round left, through minikubelet", len(entries))
		b.waitNone(ctx, selector)
	}
	a.stop()
	if left := b.sweep(ctx, selector); left > 0 {
		progress("WARNING: minikubelet left %d sandboxes of node %s; removed them directly", left, a.node)
	}
	removeCgroup(a.cgroup)
}

// waitNone waits until no sandbox matches selector, or ctx ends.
func (b *bench) waitNone(ctx context.Context, selector map[string]string) {
	filter := &runtimeapi.PodSandboxFilter{LabelSelector: selector}
	for ctx.Err() == nil {
		if sbs, err := b.rt.ListPodSandbox(ctx, filter); err == nil && len(sbs) == 0 {
			return
		}
		_ = sleep(ctx, 250*time.Millisecond)
	}
}
