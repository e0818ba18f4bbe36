//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// The chaos suite (`make chaos`, issue 16): faults a node meets in
// production — the agent or the runtime killed mid-work, a CNI plugin
// gone, a full disk, the manifest directory swapped — each ending with the
// inventory check. Several cases kill or stop the SHARED test bed runtime,
// so they run only when asked for.

// chaosVar turns the chaos cases on; `make chaos` sets it.
const chaosVar = "MINIKUBELET_CHAOS"

// chaosConverge bounds how long the node may take to converge after the
// last fault: generous, since the figures, not this bound, say how fast.
const chaosConverge = 3 * time.Minute

// requireChaos skips a chaos case unless the run asked for them: they take
// the shared runtime down under every other test on the machine.
func requireChaos(t *testing.T) {
	t.Helper()
	if os.Getenv(chaosVar) != "1" {
		t.Skipf("chaos case: it kills or stops the shared test bed runtime; run it with `make chaos` (%s=1)", chaosVar)
	}
}

// chaosWritePods writes n kubia manifests named prefix-i and returns the
// pod names.
func chaosWritePods(agent *framework.Agent, prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = framework.UniqueName(fmt.Sprintf("%s%d", prefix, i))
		agent.WriteManifest(names[i]+".yaml", kubiaPod(agent.Env, names[i], "", ""))
	}
	return names
}

// chaosWaitRunning waits until every named pod runs, and returns how long
// that took.
func chaosWaitRunning(t *testing.T, agent *framework.Agent, names []string, timeout time.Duration) time.Duration {
	t.Helper()
	return framework.WaitUntil(t, timeout, fmt.Sprintf("%d pods running", len(names)), func() bool {
		return agentNetAllRunning(agent, names)
	})
}

// chaosContainers maps "pod UID/container" to the ID of its running
// instance, from the runtime: a container that was restarted has a new ID.
func chaosContainers(t *testing.T, agent *framework.Agent) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, c := range agent.TakeInventory(t).Containers {
		if c.Running {
			ids[c.PodUID+"/"+c.Name] = c.ID
		}
	}
	return ids
}

// chaosReplaced lists the containers of before that now run under another
// ID, or not at all.
func chaosReplaced(before, after map[string]string) []string {
	var replaced []string
	for key, id := range before {
		if after[key] != id {
			replaced = append(replaced, fmt.Sprintf("%s: %.13s → %.13s", key, id, after[key]))
		}
	}
	sort.Strings(replaced)
	return replaced
}

// chaosRestarts sums the restart counts the agent reports.
func chaosRestarts(counts map[string]int32) int {
	total := 0
	for _, n := range counts {
		total += int(n)
	}
	return total
}

// chaosWarnings returns the WARN and ERROR lines of an agent log.
func chaosWarnings(log string) []string {
	var lines []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			lines = append(lines, line)
		}
	}
	return lines
}

// chaosWithout drops the lines that contain any of parts.
func chaosWithout(lines []string, parts ...string) []string {
	var kept []string
next:
	for _, line := range lines {
		for _, part := range parts {
			if strings.Contains(line, part) {
				continue next
			}
		}
		kept = append(kept, line)
	}
	return kept
}

// chaosAwait polls cond until it holds or timeout passes, and reports
// whether it held: for waits whose failure the test reports better later.
func chaosAwait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// chaosClean checks the inventory and returns how long after the fault it
// was clean.
func chaosClean(t *testing.T, agent *framework.Agent, fault time.Time) time.Duration {
	t.Helper()
	agent.CheckInventory(t, chaosConverge)
	return time.Since(fault)
}
