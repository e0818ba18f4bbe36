package main

import (
	"strings"
	"testing"
	"time"
)

// sampleResult is n pods whose every pod took base to start and to go,
// with the agent's RSS growing 0.1 MiB and 2 goroutines per pod.
func sampleResult(n int, agentBase, floorBase time.Duration) scaleResult {
	r := scaleResult{n: n, rounds: 1}
	times := func(d time.Duration) []time.Duration {
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = d
		}
		return ds
	}
	r.agent.add(roundResult{start: times(agentBase), gone: times(agentBase), startOps: opCounts{"run_podsandbox": float64(n), "container_status": float64(n)}})
	r.floor.add(roundResult{start: times(floorBase), gone: times(floorBase), startOps: opCounts{"run_podsandbox": float64(n)}})
	r.steady = steadyResult{window: time.Minute, cpuPercent: 0.3, mem: memory{rss: 30 + 0.1*float64(n), anon: 10, file: 20},
		goroutines: 40 + 2*float64(n), relists: 60, relistMean: 2 * time.Millisecond, perRelist: floorPerRelist}
	return r
}

func TestPrintCurveIsAMarkdownTableWithTheGrowthPerPod(t *testing.T) {
	var out strings.Builder
	printCurve(&out, "containerd 1.6.20", []scaleResult{
		sampleResult(1, 400*time.Millisecond, 400*time.Millisecond),
		sampleResult(11, 570*time.Millisecond, 500*time.Millisecond),
	})
	for _, want := range []string{
		"| 1 | 400 / 400 ms (1.00x) |",
		"| 11 | 570 / 500 ms (1.14x) | 570 / 500 ms (1.14x) | 570 / 500 ms (1.14x) | 570 / 500 ms (1.14x) | 2.0 / 1.0 | 2.00 / 2 |",
		"| agent RSS, MiB | 30.10 | 31.10 | +0.1000 |",
		"| goroutines | 42.00 | 62.00 | +2.0000 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the curve lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPrintScaleShowsBothSidesAndWhatIsLeft(t *testing.T) {
	r := sampleResult(20, 570*time.Millisecond, 500*time.Millisecond)
	r.inventory = inventoryResult{problems: []string{"2 sandboxes of the bench are left"}, checked: "host-local addresses in /x"}
	var out strings.Builder
	printScale(&out, r)
	for _, want := range []string{
		"570.0 ms     500.0 ms    1.14x",
		"minikubelet: container_status 1, run_podsandbox 1",
		"floor:       run_podsandbox 1",
		"inventory: NOT CLEAN (host-local addresses in /x):\n  2 sandboxes of the bench are left",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the figures lack %q:\n%s", want, out.String())
		}
	}
}
