// Command podstart measures what issue 3 promises, side by side in one run:
// manifest written → container Running for minikubelet against the floor of
// the same CRI calls made directly, for 1 pod and for 20 pods at once; then
// manifest deleted → sandbox gone; then the agent's RSS and CPU with 20 pods.
//
// Run with `make bench` (root, test bed up).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
)

func main() {
	envFile := flag.String("env", "test/testbed/env", "test bed env file")
	agentBin := flag.String("agent", "bin/minikubelet", "minikubelet binary")
	rounds := flag.Int("rounds", 7, "rounds for the 1-pod case")
	bulkRounds := flag.Int("bulk-rounds", 3, "rounds for the 20-pod case")
	idle := flag.Duration("idle", 20*time.Second, "how long to sample CPU with 20 pods running")
	flag.Parse()
	if err := run(*envFile, *agentBin, *rounds, *bulkRounds, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "podstart:", err)
		os.Exit(1)
	}
}

func run(envFile, agentBin string, rounds, bulkRounds int, idle time.Duration) error {
	env, err := readEnv(envFile)
	if err != nil {
		return err
	}
	ctx := context.Background()
	rt, err := cri.Dial(ctx, cri.Config{Endpoint: env["RUNTIME_ENDPOINT"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer rt.Close(ctx)
	image := env["KUBIA_IMAGE"]
	if _, err := rt.PullImage(ctx, &runtimeapi.ImageSpec{Image: image}, nil, nil); err != nil {
		return fmt.Errorf("pulling %s: %w", image, err)
	}
	work, err := os.MkdirTemp("", "podstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	floor := &directRunner{rt: rt, image: image, logDir: filepath.Join(work, "direct-logs")}
	agent, err := startAgent(agentBin, env, work)
	if err != nil {
		return err
	}
	defer agent.stop()
	watcher := &agentRunner{rt: rt, image: image, dir: agent.manifests, node: agent.node}

	fmt.Printf("minikubelet pod start benchmark (runtime %s %s, image %s)\n\n", rt.RuntimeName(), rt.RuntimeVersion(), image)
	fmt.Printf("%-34s %12s %12s %8s\n", "manifest → container Running", "minikubelet", "direct CRI", "ratio")
	for _, n := range []int{1, 20} {
		r := rounds
		if n > 1 {
			r = bulkRounds
		}
		var agentTimes, floorTimes []time.Duration
		for i := 0; i < r; i++ {
			d, err := floor.round(ctx, n)
			if err != nil {
				return fmt.Errorf("direct CRI round: %w", err)
			}
			floorTimes = append(floorTimes, d...)
			d, err = watcher.round(ctx, n)
			if err != nil {
				return fmt.Errorf("minikubelet round: %w\nagent log:\n%s", err, agent.logTail())
			}
			agentTimes = append(agentTimes, d...)
		}
		a, f := median(agentTimes), median(floorTimes)
		fmt.Printf("%-34s %12s %12s %7.2fx\n", fmt.Sprintf("%d pod(s), median per pod", n), ms(a), ms(f), float64(a)/float64(f))
		if n > 1 {
			fmt.Printf("%-34s %12s %12s\n", fmt.Sprintf("%d pods, median time to last", n), ms(median(lastOf(agentTimes, n))), ms(median(lastOf(floorTimes, n))))
		}
	}

	fmt.Println()
	deletions, err := watcher.deletionRound(ctx, 5)
	if err != nil {
		return err
	}
	fmt.Printf("%-34s %12s   (grace period 30 s; kubia exits on SIGTERM; kubelet: ~35-60 s GC)\n", "manifest deleted → sandbox gone", ms(median(deletions)))

	if err := watcher.startAll(ctx, 20); err != nil {
		return err
	}
	rss, anon, cpu, err := agent.footprint(idle)
	if err != nil {
		return err
	}
	fmt.Printf("%-34s %9.1f MiB   (goal ≤ 25 MiB; kubelet 83 MiB); of which anonymous %.1f MiB, the rest the binary's mapped pages\n", "agent RSS, 20 pods running", rss, anon)
	fmt.Printf("%-34s %9.2f %%     (goal ≤ 0.5 %%; kubelet 1.8 %%), sampled over %s\n", "agent CPU of one core, 20 pods", cpu, idle)
	return watcher.removeAll(ctx)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// lastOf returns the maximum of each consecutive group of n durations: the
// time until the last pod of a round was running.
func lastOf(ds []time.Duration, n int) []time.Duration {
	var out []time.Duration
	for i := 0; i+n <= len(ds); i += n {
		m := ds[i]
		for _, d := range ds[i : i+n] {
			m = max(m, d)
		}
		out = append(out, m)
	}
	return out
}

func readEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s (run `make testbed-up`): %w", path, err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "export ")
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			env[k] = strings.Trim(v, `"'`)
		}
	}
	return env, nil
}

// parallel runs fn for 0..n-1 concurrently and returns each one's duration.
func parallel(n int, fn func(i int) error) ([]time.Duration, error) {
	out := make([]time.Duration, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
			out[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
