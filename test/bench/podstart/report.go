package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// floorPerRelist is what a relist needs at least: one list of sandboxes
// and one of containers, as the kubelet's generic PLEG makes.
var floorPerRelist = opCounts{opListSandboxes: 1, opListContainers: 1}

const rowFormat = "  %-38s %12s %12s %8s\n"

// printScale prints one pod count's figures as soon as they are in.
func printScale(w io.Writer, r scaleResult) {
	fmt.Fprintf(w, "\n── %d pod(s), %d round(s), per-pod figures over %d pods ──\n", r.n, r.rounds, r.agent.pods)
	fmt.Fprintf(w, "%-40s %12s %12s %8s\n", "", "minikubelet", "floor", "ratio")
	fmt.Fprintln(w, "manifests written (with -cluster: pods created in kube-apiserver) → all Running in the runtime")
	printTimes(w, r.n, "Running", r.agent.start, r.floor.start, r.agent.startLast, r.floor.startLast)
	if len(r.agent.apiAll) > 0 {
		fmt.Fprintf(w, rowFormat, fmt.Sprintf("all %d Running and Ready in the API", r.n), ms(median(r.agent.apiAll)), ms(median(r.floor.startLast)), ratio(median(r.agent.apiAll), median(r.floor.startLast)))
	}
	fmt.Fprintf(w, "manifests deleted → sandboxes gone, all %d at once\n", r.n)
	printTimes(w, r.n, "gone", r.agent.gone, r.floor.gone, r.agent.goneLast, r.floor.goneLast)
	printCalls(w, "CRI calls per pod start", r.agent.perPod(r.agent.startOps), r.floor.perPod(r.floor.startOps))
	printCalls(w, "CRI calls per pod removal", r.agent.perPod(r.agent.removeOps), r.floor.perPod(r.floor.removeOps))
	printCalls(w, "CRI calls per relist, at rest", r.steady.perRelist, floorPerRelist)
	fmt.Fprintln(w, "  (minikubelet's start and removal calls exclude its relists' two lists; the floor is counted by its own client)")
	printSteady(w, r.n, r.steady)
	if r.floor.restCPU > 0 {
		fmt.Fprintf(w, "  %-22s %.2f %% of one core (the bench relisting the floor's %d pods every second, nothing else)\n", "floor CPU", r.floor.restCPU, r.n)
	}
	printInventory(w, r.inventory)
}

func printTimes(w io.Writer, n int, what string, agent, floor, agentLast, floorLast []time.Duration) {
	fmt.Fprintf(w, rowFormat, "per pod, median", ms(median(agent)), ms(median(floor)), ratio(median(agent), median(floor)))
	fmt.Fprintf(w, rowFormat, "per pod, p95", ms(p95(agent)), ms(p95(floor)), ratio(p95(agent), p95(floor)))
	label := fmt.Sprintf("all %d %s (median of rounds)", n, what)
	fmt.Fprintf(w, rowFormat, label, ms(median(agentLast)), ms(median(floorLast)), ratio(median(agentLast), median(floorLast)))
}

func printCalls(w io.Writer, label string, agent, floor opCounts) {
	fmt.Fprintf(w, "%-40s %12s %12s\n", label, fmt.Sprintf("%.2f", agent.total()), fmt.Sprintf("%.2f", floor.total()))
	fmt.Fprintf(w, "    minikubelet: %s\n    floor:       %s\n", agent, floor)
}

func printSteady(w io.Writer, n int, s steadyResult) {
	fmt.Fprintf(w, "at rest with %d pod(s), over %.1f s\n", n, s.window.Seconds())
	fmt.Fprintf(w, "  %-22s %.2f %% of one core (with the children it ran)\n", "agent CPU", s.cpuPercent)
	fmt.Fprintf(w, "  %-22s %s\n", "agent RSS", s.mem)
	fmt.Fprintf(w, "  %-22s %.0f\n", "goroutines", s.goroutines)
	fmt.Fprintf(w, "  %-22s %.2f ms mean over %.0f relists\n", "relist duration", float64(s.relistMean.Microseconds())/1000, s.relists)
	if s.apiRequests != nil {
		fmt.Fprintf(w, "  %-22s %s\n", "kube-apiserver calls", apiRate(s.apiRequests, s.window))
	}
	if len(s.scrapes) > 0 {
		fmt.Fprintf(w, "  scrape cost: agent CPU per scrape, the idle rate subtracted (%d scrapes each)\n", s.scrapes[0].count)
	}
	for _, sc := range s.scrapes {
		fmt.Fprintf(w, "    %-20s %9s  %8.1f KiB  CRI calls per scrape: %s\n", sc.path, msFine(sc.cpu), float64(sc.bytes)/1024, sc.perCall)
	}
	fmt.Fprintf(w, "  GET /api/v1/pods (%d requests each, %d items)\n", len(s.apiTable.latencies), s.apiTable.items)
	for _, a := range []struct {
		label string
		res   apiResult
	}{{"as kubectl get (Table)", s.apiTable}, {"plain PodList", s.apiList}} {
		fmt.Fprintf(w, "    %-24s median %s, p95 %s, %.1f KiB\n", a.label, msFine(median(a.res.latencies)), msFine(p95(a.res.latencies)), float64(a.res.bytes)/1024)
	}
}

func printInventory(w io.Writer, inv inventoryResult) {
	if len(inv.problems) == 0 {
		fmt.Fprintf(w, "inventory: clean: no sandbox of the bench left; %d host-local addresses, all of live sandboxes (%s)\n", inv.addresses, inv.checked)
		return
	}
	fmt.Fprintf(w, "inventory: NOT CLEAN (%s):\n  %s\n", inv.checked, strings.Join(inv.problems, "\n  "))
}

// msFine prints a duration in milliseconds with two decimals, for costs
// well under a millisecond.
func msFine(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6) }

// apiRate is the requests of a window per second, in all and by method.
func apiRate(byMethod map[string]float64, window time.Duration) string {
	total := 0.0
	var parts []string
	for _, method := range slices.Sorted(maps.Keys(byMethod)) {
		total += byMethod[method]
		parts = append(parts, fmt.Sprintf("%s %.0f", method, byMethod[method]))
	}
	return fmt.Sprintf("%.3f per second (%s in %.0f s)", total/window.Seconds(), strings.Join(parts, ", "), window.Seconds())
}
