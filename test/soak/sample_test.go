//go:build e2e

package soak

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// sampler takes the figures of the agent and of its pods in the runtime.
type sampler struct {
	agent   *framework.Agent
	view    *podView
	churn   *churn
	started time.Time
	samples []Sample
}

// take records one sample. It fails the test if the agent or the runtime
// cannot be read: a soak that cannot see is not a pass.
func (s *sampler) take(t *testing.T, phase Phase) Sample {
	t.Helper()
	sample, err := s.read(phase)
	if err != nil {
		t.Fatalf("sampling the agent (%s): %v", phase, err)
	}
	s.samples = append(s.samples, sample)
	return sample
}

// takeSettled records a sample whose goroutines and open files are the
// lowest of `readings` readings a second apart, with the API's idle
// connections closed first: the baseline and the end are compared that
// same way, so neither a connection of the test's nor a goroutine that
// was about to finish counts on one side only.
func (s *sampler) takeSettled(t *testing.T, phase Phase, readings int) Sample {
	t.Helper()
	s.agent.HTTPClient().CloseIdleConnections()
	var best Sample
	for i := range readings {
		if i > 0 {
			time.Sleep(time.Second)
		}
		sample, err := s.read(phase)
		if err != nil {
			t.Fatalf("sampling the agent (%s): %v", phase, err)
		}
		if i == 0 {
			best = sample
			continue
		}
		best.Goroutines = min(best.Goroutines, sample.Goroutines)
		best.FDs = min(best.FDs, sample.FDs)
	}
	s.samples = append(s.samples, best)
	return best
}

func (s *sampler) read(phase Phase) (Sample, error) {
	sample := Sample{Phase: phase, At: time.Since(s.started), Pods: s.view.count()}
	if s.churn != nil {
		sample.Lifecycles = int(s.churn.ended.Load())
	}
	var err error
	if sample.Mem, sample.CPU, sample.FDs, err = ReadProc(s.agent.PID()); err != nil {
		return sample, err
	}
	scrape, err := s.scrape("/metrics", "")
	if err != nil {
		return sample, err
	}
	sample.Goroutines = int(scrape.Values["go_goroutines"])
	sample.HeapInuse = int64(scrape.Values["go_memstats_heap_inuse_bytes"])
	sample.Series = scrape.Series
	sandboxes, err := s.crictlIDs("pods", "-q", "--label", "io.minikubelet.node="+s.agent.NodeName)
	if err != nil {
		return sample, err
	}
	containers, err := s.crictlIDs("ps", "-a", "-q", "--label", "io.minikubelet.node="+s.agent.NodeName)
	if err != nil {
		return sample, err
	}
	allocations, err := s.agent.Env.Allocations()
	if err != nil {
		return sample, err
	}
	sample.Sandboxes, sample.Containers = len(sandboxes), len(containers)
	for _, owner := range allocations {
		if sandboxes[owner] {
			sample.IPs++
		}
	}
	return sample, nil
}

// scrape reads one of the agent's metrics endpoints.
func (s *sampler) scrape(path, match string) (Scrape, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.agent.Get(ctx, path)
	if err != nil {
		return Scrape{}, fmt.Errorf("scraping %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Scrape{}, fmt.Errorf("scraping %s: %s", path, resp.Status)
	}
	var names []string
	if path == "/metrics" {
		names = []string{"go_goroutines", "go_memstats_heap_inuse_bytes"}
	}
	scrape, err := ParseScrape(resp.Body, names, match)
	if err != nil {
		return Scrape{}, fmt.Errorf("scraping %s: %w", path, err)
	}
	return scrape, nil
}

// seriesOfGonePods lists samples, on any of the agent's metrics
// endpoints, that still name a soak pod once every pod is gone: a series
// per pod never deleted grows /metrics, and the agent, for good.
func (s *sampler) seriesOfGonePods() ([]string, error) {
	var left []string
	for _, path := range []string{"/metrics", "/metrics/resource", "/metrics/cadvisor"} {
		scrape, err := s.scrape(path, `"soak-`)
		if err != nil {
			return nil, err
		}
		for _, line := range scrape.Matching {
			left = append(left, path+": "+line)
		}
	}
	return left, nil
}

func (s *sampler) crictlIDs(args ...string) (map[string]bool, error) {
	stdout, stderr, err := s.agent.Env.RunCrictl(args...)
	if err != nil {
		return nil, fmt.Errorf("crictl %s: %v: %s", strings.Join(args, " "), err, stderr)
	}
	ids := map[string]bool{}
	for _, id := range strings.Fields(stdout) {
		ids[id] = true
	}
	return ids, nil
}

// slowConvergence is how long an inventory check may take to converge
// before it says what it was waiting for.
const slowConvergence = 10 * time.Second

// checkInventory is CheckInventory for the middle of a run, with the
// churn held still: every soak pod is then running, except the containers
// of crash-looping and failing-liveness pods, which may be down at any
// moment and so are not wanted running. On top of what CheckInventory
// checks, no container of any pod keeps more than one exited instance
// (crash loops must not pile them up). It waits up to timeout for the
// agent to converge, and returns how long that took (one inventory alone
// takes seconds on a busy machine: a crictl run per sandbox).
func (s *sampler) checkInventory(t *testing.T, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var problems, first []string
	for {
		want, err := s.wanted()
		if err != nil {
			t.Fatalf("inventory check: %v", err)
		}
		inv := s.agent.TakeInventory(t)
		problems = append(inv.Problems(want), exitedPileUps(inv)...)
		if first == nil {
			first = problems
		}
		if len(problems) == 0 {
			if took := time.Since(start); len(first) > 0 && took > slowConvergence {
				t.Logf("the inventory took %s to converge; at first:\n  %s", took.Round(time.Millisecond), strings.Join(first, "\n  "))
			}
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("node %s's inventory is not clean after %s, with %d lifecycles done:\n  %s\nagent log:\n%s",
		s.agent.NodeName, timeout, s.churn.ended.Load(), strings.Join(problems, "\n  "), tailLines(s.agent.Logs(), 60))
	return 0
}

// wanted is the pods the agent's API has and is not deleting, by UID,
// with the containers that must be running.
func (s *sampler) wanted() (map[string][]string, error) {
	pods, err := s.agent.Pods()
	if err != nil {
		return nil, err
	}
	want := map[string][]string{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.UID == "" {
			continue
		}
		var names []string
		if !Kind(p.Labels[KindLabel]).ContainersMayBeDown() {
			for _, c := range p.Spec.Containers {
				names = append(names, c.Name)
			}
		}
		want[string(p.UID)] = names
	}
	return want, nil
}

// exitedPileUps finds containers (of one pod and name) kept exited more
// than once: the agent keeps the last exited instance only.
func exitedPileUps(inv *framework.Inventory) []string {
	exited := map[string]int{}
	for _, c := range inv.Containers {
		if !c.Running {
			exited[c.PodUID+" container "+c.Name]++
		}
	}
	var problems []string
	for key, n := range exited {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("pod %s keeps %d exited instances, want at most 1", key, n))
		}
	}
	sort.Strings(problems)
	return problems
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// summary says how many lifecycles of each kind ran, and the median time
// from a manifest written to its pod started and from a manifest removed
// to its pod gone (the test does not judge them; they say how busy the
// machine was).
func (c *churn) summary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d manifests written in place; %d restarts seen on crash-loop and failing-liveness pods\n", c.inPlace, c.restarts)
	fmt.Fprintf(&b, "  %-17s %10s %14s %14s\n", "kind", "lifecycles", "median start", "median gone")
	for _, kind := range Kinds() {
		fmt.Fprintf(&b, "  %-17s %10d %14s %14s\n", kind, c.byKind[kind], medianDuration(c.starts[kind]), medianDuration(c.removals[kind]))
	}
	return b.String()
}

func medianDuration(values []time.Duration) string {
	if len(values) == 0 {
		return "-"
	}
	ints := make([]int64, len(values))
	for i, v := range values {
		ints[i] = int64(v)
	}
	return time.Duration(median(ints)).Round(10 * time.Millisecond).String()
}
