//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Chaos case 1: the agent SIGKILLed at random moments, and restarted at
// once, while 20 pods start, while 10 of them are replaced by manifest
// edits, and while all 20 are deleted. After the last restart of each
// phase the node converges: the inventory is clean, and no container that
// the phase did not replace was restarted.

// killsPerPhase is how many times each phase kills the agent: three
// phases, twelve kills.
const killsPerPhase = 4

// maxKillDelay bounds the random wait before each kill: pods take 1-3 s
// to start here, so the kills land at every step of the work.
const maxKillDelay = 1500 * time.Millisecond

func TestChaosAgentKilledAtRandomMoments(t *testing.T) {
	requireChaos(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	chaos := &agentKiller{agent: framework.StartAgent(t), rng: rand.New(rand.NewPCG(seed, seed>>1))}
	agent := chaos.agent

	names := chaosWritePods(agent, "kill", 20)
	chaos.killAtRandom(t)
	chaosWaitRunning(t, agent, names, chaosConverge)
	chaos.converged(t, "agent SIGKILLed while 20 pods start", len(names), nil)

	uids := map[string]v1.Pod{}
	for _, name := range names {
		uids[name] = *agent.Pod(name)
	}
	kept := chaosContainers(t, agent)
	for _, name := range names[:10] {
		agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "    env:\n    - name: EDITED\n      value: \"1\"\n", ""))
		delete(kept, string(uids[name].UID)+"/kubia")
	}
	chaos.killAtRandom(t)
	for _, name := range names[:10] {
		old := uids[name].UID
		agent.WaitPod(name, chaosConverge, "replaced and Running", func(p *v1.Pod) bool { return p.UID != old && framework.Running(p) })
	}
	chaos.converged(t, "agent SIGKILLed while 10 pods are replaced by edits", 10, kept)

	for _, name := range names {
		agent.RemoveManifest(name + ".yaml")
	}
	chaos.killAtRandom(t)
	framework.WaitUntil(t, chaosConverge, "every pod gone from the agent", func() bool {
		pods, err := agent.Pods()
		return err == nil && len(pods) == 0
	})
	chaos.converged(t, "agent SIGKILLed while 20 pods are deleted", len(names), nil)
}

// agentKiller kills one agent at random moments and keeps the figures.
type agentKiller struct {
	agent    *framework.Agent
	rng      *rand.Rand
	lastKill time.Time
	kills    int
	delays   []string
	// logStart is where the current phase's part of the agent log begins.
	logStart int
}

// killAtRandom SIGKILLs the agent killsPerPhase times, each after a
// random delay, and starts it again at once each time.
func (k *agentKiller) killAtRandom(t *testing.T) {
	t.Helper()
	k.kills, k.delays = 0, nil
	for range killsPerPhase {
		delay := time.Duration(k.rng.Int64N(int64(maxKillDelay)))
		time.Sleep(delay)
		k.agent.Signal(syscall.SIGKILL)
		k.kills++
		k.delays = append(k.delays, delay.Round(time.Millisecond).String())
		k.agent.Start()
		k.lastKill = time.Now()
	}
}

// converged is called once the pods are as the phase wants: it checks the
// inventory, that no container in kept (pod UID/container → ID) was
// restarted and that the agent reports no restart, and records the
// phase's figures.
func (k *agentKiller) converged(t *testing.T, phase string, pods int, kept map[string]string) {
	t.Helper()
	took := time.Since(k.lastKill)
	clean := chaosClean(t, k.agent, k.lastKill)
	replaced := chaosReplaced(kept, chaosContainers(t, k.agent))
	restarts := chaosRestarts(k.agent.RestartCounts(t))
	log := k.agent.Logs()
	warnings := chaosWarnings(log[k.logStart:])
	k.logStart = len(log)
	t.Logf("%s: the agent's warnings:\n%s", phase, strings.Join(warnings, "\n"))
	framework.RecordFigures(t, framework.Figures{
		Case: phase, Faults: fmt.Sprintf("%d agent kills", k.kills), Pods: pods,
		Restarts: restarts + len(replaced), Converged: took, Clean: clean,
		LogLines: fmt.Sprintf("%d warnings", len(warnings)),
		Note:     "kills after " + strings.Join(k.delays, ", "),
	})
	if restarts != 0 || len(replaced) != 0 {
		t.Errorf("%s: %d restarts reported, containers replaced:\n  %s", phase, restarts, strings.Join(replaced, "\n  "))
	}
}
