package soak

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Phase says when a sample was taken.
type Phase string

const (
	// PhaseCold is the agent just started, before any pod.
	PhaseCold Phase = "cold"
	// PhaseWarm is after one pod of each kind came and went: the
	// baseline goroutines and open files must come back to.
	PhaseWarm Phase = "warm"
	// PhaseChurn is a sample taken every interval while pods churn.
	PhaseChurn Phase = "churn"
	// PhaseCheck is a mid-run inventory check that found nothing amiss.
	PhaseCheck Phase = "check"
	// PhaseEnd is after every manifest was removed and the inventory is
	// clean.
	PhaseEnd Phase = "end"
)

// Sample is the figures of the agent and the runtime at one moment.
type Sample struct {
	Phase Phase
	// At is the time since the agent started.
	At time.Duration
	// Lifecycles is how many pod lifecycles had ended; Pods how many soak
	// pods the agent had.
	Lifecycles, Pods int
	Mem              ProcMemory
	// HeapInuse is the agent's Go heap in use (go_memstats_heap_inuse_bytes).
	HeapInuse  int64
	Goroutines int
	FDs        int
	// Series counts the samples on the agent's /metrics.
	Series int
	// CPU is the agent's CPU time (user plus system) since it started.
	CPU time.Duration
	// Sandboxes and Containers are the agent's, in the runtime, in any
	// state; IPs the host-local addresses held for its sandboxes.
	Sandboxes, Containers, IPs int
}

// Thin keeps every sample that is not a churn sample and as many churn
// samples, evenly spread and always the last one, as fit in maxRows rows
// in all: a 20000-lifecycle run samples for hours.
func Thin(samples []Sample, maxRows int) []Sample {
	var churn int
	for _, s := range samples {
		if s.Phase == PhaseChurn {
			churn++
		}
	}
	room := maxRows - (len(samples) - churn)
	if churn <= room {
		return samples
	}
	room = max(room, 1)
	var thinned []Sample
	seen := 0
	for _, s := range samples {
		if s.Phase != PhaseChurn {
			thinned = append(thinned, s)
			continue
		}
		// Keep churn sample i when it starts a new 1/room share of them.
		if seen*room/churn != (seen+1)*room/churn {
			thinned = append(thinned, s)
		}
		seen++
	}
	return thinned
}

// Table renders samples as an aligned table, with the CPU share of one
// core used since the sample before.
func Table(samples []Sample) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "phase\tt\tlifecycles\tpods\tRSS anon MiB\tRSS file MiB\theap MiB\tgoroutines\tfds\tseries\tCPU s\tCPU %\tsandboxes\tcontainers\tIPs\t")
	for i, s := range samples {
		share := "-"
		if i > 0 && s.At > samples[i-1].At {
			share = fmt.Sprintf("%.1f", 100*float64(s.CPU-samples[i-1].CPU)/float64(s.At-samples[i-1].At))
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%d\t%d\t%d\t\n",
			s.Phase, s.At.Round(time.Second), s.Lifecycles, s.Pods,
			mib(s.Mem.Anon), mib(s.Mem.File), mib(s.HeapInuse),
			s.Goroutines, s.FDs, s.Series, s.CPU.Seconds(), share, s.Sandboxes, s.Containers, s.IPs)
	}
	_ = w.Flush() // a strings.Builder does not fail
	return b.String()
}

func mib(bytes int64) string { return fmt.Sprintf("%.1f", float64(bytes)/(1<<20)) }

// minWindowSamples is the fewest samples a window's median is taken of,
// so that one garbage collection's timing cannot decide it.
const minWindowSamples = 3

// AnonGrowth compares the agent's anonymous memory while the first
// `window` lifecycles ran with that while the last `window` of `total`
// ran: the median of the churn samples of each (at least
// minWindowSamples each, the first or the last ones when a window holds
// fewer). A median, because the Go heap swings with each collection.
func AnonGrowth(samples []Sample, total, window int) (first, last int64, err error) {
	var churn []Sample
	for _, s := range samples {
		if s.Phase == PhaseChurn {
			churn = append(churn, s)
		}
	}
	if len(churn) < minWindowSamples {
		return 0, 0, fmt.Errorf("%d churn samples, want at least %d to compare memory: run more lifecycles or sample more often", len(churn), minWindowSamples)
	}
	var early, late []int64
	for _, s := range churn {
		if s.Lifecycles <= window {
			early = append(early, s.Mem.Anon)
		}
		if s.Lifecycles >= total-window {
			late = append(late, s.Mem.Anon)
		}
	}
	if len(early) < minWindowSamples {
		early = nil
		for _, s := range churn[:minWindowSamples] {
			early = append(early, s.Mem.Anon)
		}
	}
	if len(late) < minWindowSamples {
		late = nil
		for _, s := range churn[len(churn)-minWindowSamples:] {
			late = append(late, s.Mem.Anon)
		}
	}
	return median(early), median(late), nil
}

// median of a non-empty list; the lower middle one of an even count.
func median(values []int64) int64 {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return sorted[(len(sorted)-1)/2]
}
