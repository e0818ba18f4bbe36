//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Chaos case 2: the runtime goes away under a running agent, or is not
// there when it starts. Pods keep running and no container is restarted;
// the agent says once that the runtime is gone and once that it is back
// (its CRI calls back off meanwhile, so no error storm), and manifests
// written meanwhile run once the runtime is back.

// The agent's log lines for a runtime outage.
const (
	runtimeDownLine = `msg="container runtime is unavailable`
	runtimeBackLine = `msg="container runtime is back"`
	runtimeWaitLine = `msg="CRI runtime socket not answering yet`
)

// chaosOutage is one way of taking the runtime away.
type chaosOutage struct {
	name string
	// takeDown stops or kills the runtime.
	takeDown func(t *testing.T, env *framework.Env)
	// downFor is how long the runtime stays away.
	downFor time.Duration
	// writeDuring writes the new manifests while the runtime is away
	// rather than once it is back.
	writeDuring bool
}

func TestChaosRuntimeKilledUnderRunningPods(t *testing.T) {
	requireChaos(t)
	chaosRuntimeOutage(t, chaosOutage{
		name:     "runtime SIGKILLed under 10 running pods",
		takeDown: func(t *testing.T, env *framework.Env) { env.KillRuntime(t) },
		downFor:  5 * time.Second,
	})
}

func TestChaosRuntimeStoppedFor60s(t *testing.T) {
	requireChaos(t)
	chaosRuntimeOutage(t, chaosOutage{
		name:        "runtime stopped for 60 s, manifests written meanwhile",
		takeDown:    func(t *testing.T, env *framework.Env) { env.StopRuntime(t) },
		downFor:     60 * time.Second,
		writeDuring: true,
	})
}

// chaosRuntimeOutage runs 10 pods, takes the runtime away for
// outage.downFor, brings it back and checks what the agent did.
func chaosRuntimeOutage(t *testing.T, outage chaosOutage) {
	agent := framework.StartAgent(t)
	names := chaosWritePods(agent, "outage", 10)
	chaosWaitRunning(t, agent, names, 2*time.Minute)
	agent.CheckInventory(t, chaosConverge)
	before, counts := chaosContainers(t, agent), agent.RestartCounts(t)
	logStart := len(agent.Logs())

	wentDown := time.Now()
	outage.takeDown(t, agent.Env)
	// Not fatal: an agent that never says so fails below, with its log.
	chaosAwait(30*time.Second, func() bool { return strings.Contains(agent.Logs()[logStart:], runtimeDownLine) })
	noticed := time.Since(wentDown)
	var late []string
	if outage.writeDuring {
		late = chaosWritePods(agent, "meanwhile", 2)
	}
	time.Sleep(time.Until(wentDown.Add(outage.downFor)))
	agent.Env.StartRuntime(t)
	cameBack := time.Now()
	chaosAwait(time.Minute, func() bool { return strings.Contains(agent.Logs()[logStart:], runtimeBackLine) })
	if !outage.writeDuring {
		late = chaosWritePods(agent, "after", 2)
	}
	chaosWaitRunning(t, agent, append(append([]string(nil), names...), late...), 2*time.Minute)
	converged := time.Since(cameBack)
	clean := chaosClean(t, agent, cameBack)

	after, afterCounts := chaosContainers(t, agent), agent.RestartCounts(t)
	replaced := chaosReplaced(before, after)
	restarts := chaosRestarts(afterCounts) - chaosRestarts(counts)
	log := agent.Logs()[logStart:]
	down, back := strings.Count(log, runtimeDownLine), strings.Count(log, runtimeBackLine)
	others := chaosWithout(chaosWarnings(log), runtimeDownLine)
	framework.RecordFigures(t, framework.Figures{
		Case: outage.name, Faults: "1 outage of " + outage.downFor.String(), Pods: len(names) + len(late),
		Restarts: restarts + len(replaced), Converged: converged, Clean: clean,
		LogLines: fmt.Sprintf("%d down, %d back, %d other warnings", down, back, len(others)),
		Note:     fmt.Sprintf("outage noticed %s after it began", noticed.Round(10*time.Millisecond)),
	})
	if len(replaced) > 0 || restarts != 0 {
		t.Errorf("containers restarted across the outage (restart counts up by %d):\n  %s", restarts, strings.Join(replaced, "\n  "))
	}
	if down != 1 || back != 1 {
		t.Errorf("want one line when the runtime went and one when it came back, got %d and %d:\n%s", down, back, log)
	}
	if len(others) > 0 {
		t.Errorf("%d other warnings during the outage (calls should back off, not fail on and on):\n%s", len(others), strings.Join(others, "\n"))
	}
}

// TestChaosRuntimeAbsentWhenTheAgentStarts: an agent started before its
// runtime waits for it, says so once, and runs its pods once it appears.
func TestChaosRuntimeAbsentWhenTheAgentStarts(t *testing.T) {
	requireChaos(t)
	agent := framework.NewAgent(t)
	names := chaosWritePods(agent, "early", 3)
	agent.Env.StopRuntime(t)
	agent.Launch()
	waited := 20 * time.Second // twice the CRI client's connect timeout
	framework.WaitUntil(t, 10*time.Second, "the agent to say it waits for the runtime", func() bool {
		return strings.Contains(agent.Logs(), runtimeWaitLine)
	})
	time.Sleep(waited)
	if agent.Exited() {
		t.Fatalf("the agent gave up on an absent runtime instead of waiting for it:\n%s", agent.Logs())
	}
	agent.Env.StartRuntime(t)
	appeared := time.Now()
	agent.WaitAPI(time.Minute)
	chaosWaitRunning(t, agent, names, 2*time.Minute)
	converged := time.Since(appeared)
	clean := chaosClean(t, agent, appeared)
	log := agent.Logs()
	waits, warnings := strings.Count(log, runtimeWaitLine), chaosWarnings(log)
	framework.RecordFigures(t, framework.Figures{
		Case: "runtime absent when the agent starts", Faults: fmt.Sprintf("runtime away for %s", waited),
		Pods: len(names), Converged: converged, Clean: clean,
		LogLines: fmt.Sprintf("%d waiting, %d warnings", waits, len(warnings)),
	})
	if waits != 1 || len(warnings) != 0 {
		t.Errorf("want one line saying the agent waits and no warnings, got %d and %d:\n%s", waits, len(warnings), log)
	}
}
