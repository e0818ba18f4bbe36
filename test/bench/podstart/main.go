// Command podstart measures minikubelet against the floor — the same CRI
// calls made directly, with the same parallelism — side by side in one run
// on one runtime, for each pod count of a scale curve (issues 3 and 18):
//
//   - manifests written → all Running, and deleted → sandboxes gone, per
//     pod (median, p95) and in total, for minikubelet and the floor;
//   - CRI calls per pod start, per pod removal and per relist, for both;
//   - the agent at rest with the pods running: CPU, RSS (anonymous and
//     file-backed), goroutines, relist duration;
//   - the agent CPU one scrape of /metrics, /metrics/resource and
//     /metrics/cadvisor costs, and the latency of GET /api/v1/pods;
//   - that nothing of the bench is left after each count;
//
// and ends with the curve as a Markdown table and the growth per added pod.
// Run it with `make bench SCALE=110` (root, test bed up, agent built), or
// `go run ./test/bench/podstart -env test/testbed/env -scale 110`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	envFile, agentBin    string
	clusterEnv           string
	scale                []int
	rounds, bulkRounds   int
	idle, settle         time.Duration
	scrapes, apiRequests int
	scrapeGap, poll      time.Duration
}

func (o options) roundsFor(n int) int {
	if n == 1 {
		return o.rounds
	}
	return o.bulkRounds
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("podstart", flag.ContinueOnError)
	fs.StringVar(&o.envFile, "env", "test/testbed/env", "test bed env file of the runtime to measure (test/testbed/env.containerd2 for containerd 2)")
	fs.StringVar(&o.agentBin, "agent", "bin/minikubelet", "minikubelet binary, built by make build")
	fs.StringVar(&o.clusterEnv, "cluster", "", "test bed cluster env file (test/testbed/env.cluster): the agent joins that control plane and its pods are created through kube-apiserver, bound to its node")
	scale := fs.String("scale", "20", "pod counts: a list (1,20,50,110) or N for the curve 1, 20, 50, 110 up to N")
	fs.IntVar(&o.rounds, "rounds", 7, "rounds for 1 pod")
	fs.IntVar(&o.bulkRounds, "bulk-rounds", 3, "rounds for more than 1 pod")
	fs.DurationVar(&o.idle, "idle", 60*time.Second, "idle window for the agent's CPU, relists and their CRI calls")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait after all pods run before the idle window")
	fs.IntVar(&o.scrapes, "scrapes", 20, "scrapes of each metrics endpoint")
	fs.DurationVar(&o.scrapeGap, "scrape-gap", 1100*time.Millisecond, "pause between scrapes; above the agent's 1 s stats cache")
	fs.IntVar(&o.apiRequests, "api-requests", 50, "GET /api/v1/pods requests timed")
	fs.DurationVar(&o.poll, "poll", 2*time.Millisecond, "how often the runtime is polled for running and removed pods")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.scale, err = parseScale(*scale); err != nil {
		return o, err
	}
	if o.rounds < 1 || o.bulkRounds < 1 || o.scrapes < 1 || o.apiRequests < 1 || o.idle <= 0 || o.poll <= 0 {
		return o, errors.New("-rounds, -bulk-rounds, -scrapes, -api-requests, -idle and -poll must be positive")
	}
	return o, nil
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "podstart:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "podstart: FAILED:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts options) error {
	env, err := readEnv(opts.envFile)
	if err != nil {
		return err
	}
	b, err := newBench(ctx, opts, env)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.prepare(ctx); err != nil {
		return err
	}
	runtime := b.rt.RuntimeName() + " " + b.rt.RuntimeVersion()
	fmt.Printf("minikubelet scale benchmark: runtime %s (%s), image %s, pod counts %v\n", runtime, opts.envFile, b.image, opts.scale)
	var results []scaleResult
	for _, n := range opts.scale {
		res, err := b.measure(ctx, n)
		if err != nil {
			printCurve(os.Stdout, runtime, results)
			return fmt.Errorf("with %d pods: %w", n, err)
		}
		printScale(os.Stdout, res)
		results = append(results, res)
	}
	printCurve(os.Stdout, runtime, results)
	return dirty(results)
}

// dirty fails the run if any pod count left something behind: the figures
// stand, but a leak is a bug to fix before they are published.
func dirty(results []scaleResult) error {
	var problems []string
	for _, r := range results {
		for _, p := range r.inventory.problems {
			problems = append(problems, fmt.Sprintf("after %d pods: %s", r.n, p))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("the inventory is not clean:\n  %s", strings.Join(problems, "\n  "))
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

// progress tells the operator, on stderr, what the run is doing: a 110-pod
// curve takes tens of minutes. The figures go to stdout.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s podstart: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
