package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// point is one figure at one pod count.
type point struct {
	n int
	v float64
}

// perPod is the growth per added pod: the slope of the line through the
// figures at the smallest and the largest pod count. It needs two
// distinct counts.
func perPod(points []point) (float64, bool) {
	if len(points) == 0 {
		return 0, false
	}
	lo, hi := points[0], points[0]
	for _, p := range points {
		if p.n < lo.n {
			lo = p
		}
		if p.n > hi.n {
			hi = p
		}
	}
	if hi.n == lo.n {
		return 0, false
	}
	return (hi.v - lo.v) / float64(hi.n-lo.n), true
}

// series picks one figure from every pod count's result.
func series(results []scaleResult, f func(scaleResult) float64) []point {
	points := make([]point, len(results))
	for i, r := range results {
		points[i] = point{r.n, f(r)}
	}
	return points
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// printCurve prints the curve as a Markdown table, ready for the README,
// and the growth per added pod.
func printCurve(w io.Writer, runtime string, results []scaleResult) {
	if len(results) == 0 {
		return
	}
	fmt.Fprintf(w, "\n── scale curve on %s: minikubelet / floor ──\n\n", runtime)
	fmt.Fprintln(w, "| pods | start, median per pod | start, p95 per pod | all Running | all deleted → gone | CRI calls per start | CRI calls per relist | relist | CPU at rest | agent RSS (anon + file) | goroutines | get pods p95 (Table) | scrape CPU /metrics, /resource, /cadvisor |")
	fmt.Fprintln(w, "|---:|---|---|---|---|---|---|---:|---:|---|---:|---:|---|")
	for _, r := range results {
		a, f, s := r.agent, r.floor, r.steady
		var scrapes []string
		for _, sc := range s.scrapes {
			scrapes = append(scrapes, fmt.Sprintf("%.2f", millis(sc.cpu)))
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %.1f / %.1f | %.2f / %.0f | %.2f ms | %s | %.1f MiB (%.1f + %.1f) | %.0f | %.2f ms | %s ms |\n",
			r.n, pair(median(a.start), median(f.start)), pair(p95(a.start), p95(f.start)),
			pair(median(a.startLast), median(f.startLast)), pair(median(a.goneLast), median(f.goneLast)),
			a.perPod(a.startOps).total(), f.perPod(f.startOps).total(), s.perRelist.total(), floorPerRelist.total(),
			millis(s.relistMean), restPair(s.cpuPercent, f.restCPU), s.mem.rss, s.mem.anon, s.mem.file, s.goroutines,
			millis(p95(s.apiTable.latencies)), strings.Join(scrapes, " / "))
	}
	printGrowth(w, results)
}

// restPair prints the agent's CPU at rest against the floor's relist
// alone, "0.73 / 0.31 %", or the agent's only if the floor's is unknown.
func restPair(agent, floor float64) string {
	if floor == 0 {
		return fmt.Sprintf("%.2f %%", agent)
	}
	return fmt.Sprintf("%.2f / %.2f %%", agent, floor)
}

// pair prints "412 / 360 ms (1.14x)".
func pair(agent, floor time.Duration) string {
	return fmt.Sprintf("%.0f / %.0f ms (%s)", millis(agent), millis(floor), ratio(agent, floor))
}

// printGrowth prints, as a Markdown table, the figures at rest at the
// smallest and the largest pod count and the growth per added pod between.
func printGrowth(w io.Writer, results []scaleResult) {
	figures := []struct {
		name string
		f    func(scaleResult) float64
	}{
		{"agent RSS, MiB", func(r scaleResult) float64 { return r.steady.mem.rss }},
		{"agent RSS anonymous, MiB", func(r scaleResult) float64 { return r.steady.mem.anon }},
		{"agent RSS file-backed, MiB", func(r scaleResult) float64 { return r.steady.mem.file }},
		{"agent CPU at rest, % of a core", func(r scaleResult) float64 { return r.steady.cpuPercent }},
		{"relist duration, ms", func(r scaleResult) float64 { return millis(r.steady.relistMean) }},
		{"CRI calls per relist", func(r scaleResult) float64 { return r.steady.perRelist.total() }},
		{"goroutines", func(r scaleResult) float64 { return r.steady.goroutines }},
		{"get pods p95 (Table), ms", func(r scaleResult) float64 { return millis(p95(r.steady.apiTable.latencies)) }},
	}
	first, last := results[0], results[len(results)-1]
	if _, ok := perPod(series(results, figures[0].f)); !ok {
		return
	}
	fmt.Fprintf(w, "\n| at rest | %d pod(s) | %d pods | per added pod |\n|---|---:|---:|---:|\n", first.n, last.n)
	for _, fig := range figures {
		slope, _ := perPod(series(results, fig.f))
		fmt.Fprintf(w, "| %s | %.2f | %.2f | %+.4f |\n", fig.name, fig.f(first), fig.f(last), slope)
	}
	fmt.Fprintln(w, "\nGoals (issue 18): RSS ≤ 25 MiB with 20 pods and ≤ 35 MiB with 110; CPU ≤ 0.5 % of a core with 110 pods at rest; 20 pods ≤ 1.1× the floor.")
}
