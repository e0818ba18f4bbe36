//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestChaosTwoAgentsOnOneNetworkAreRefused (issue 16, chaos case 7): an
// agent whose runtime is not the one of the agent already on a pod network
// (same bridge, pod CIDR and host-local data dir) is refused at start with
// one line naming that agent and the flags that separate them, before it
// releases anything; a second agent of the same runtime shares the network;
// the lock goes with its holders, even when they are SIGKILLed. Two private
// nodes stand for two runtimes on one host (make run's managed containerd
// beside the test bed's), so the shared test bed's addresses are never at
// stake.
func TestChaosTwoAgentsOnOneNetworkAreRefused(t *testing.T) {
	nodeA := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.67.1.0/24"})
	nodeB := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.67.2.0/24"})
	// Made first so that its teardown, which starts it, comes after the
	// holders' (teardowns run last first). Its leak grace keeps it from
	// releasing the holder's address while it has the network.
	intruder := nodeB.NewAgent(t, "--pod-cidr", nodeA.PodCIDR, "--bridge-name", nodeA.BridgeName,
		"--cni-data-dir", nodeA.CNIDataDir, "--cni-leak-grace", "1h")
	holder := nodeA.NewAgent(t)
	sibling := nodeA.NewAgent(t)

	holder.Start()
	name := framework.UniqueName("held")
	holder.WriteManifest(name+".yaml", kubiaPod(holder.Env, name, "", ""))
	pod := holder.WaitPod(name, time.Minute, "Running", framework.Running)
	allocated := agentNetAllocations(t, nodeA)

	out := intruder.StartRefused(30 * time.Second)
	errorLines := slices.DeleteFunc(strings.Split(out, "\n"), func(line string) bool { return !strings.HasPrefix(line, "error:") })
	if len(errorLines) != 1 {
		t.Fatalf("want exactly one error line, got %d:\n%s", len(errorLines), out)
	}
	for _, part := range []string{
		fmt.Sprintf("node %q", holder.NodeName), fmt.Sprintf("pid %d", holder.PID()), "root dir " + holder.RootDir,
		holder.Env.RuntimeEndpoint, intruder.Env.RuntimeEndpoint, nodeA.CNIDataDir,
		"--bridge-name", "--pod-cidr", "--cni-data-dir", "--cni-cache-dir",
	} {
		if !strings.Contains(errorLines[0], part) {
			t.Errorf("the refusal lacks %q: %s", part, errorLines[0])
		}
	}
	t.Logf("refused: %s", errorLines[0])
	if strings.Contains(out, "pod network configured") || strings.Contains(out, "released leaked pod address") {
		t.Errorf("the refused agent went on to use the network:\n%s", out)
	}
	if now := agentNetAllocations(t, nodeA); !maps.Equal(now, allocated) {
		t.Errorf("the holder's addresses changed: %v, were %v", now, allocated)
	}

	sibling.Start() // the same runtime: it shares the network
	if p := holder.Pod(name); p == nil || p.UID != pod.UID || !framework.Running(p) {
		t.Fatalf("the holder's pod is not the same running pod after the sibling joined: %+v", p)
	}

	holder.Signal(syscall.SIGKILL)
	sibling.Signal(syscall.SIGKILL)
	intruder.Start() // no lock outlives its agents
	if !strings.Contains(intruder.Logs(), "pod network configured") {
		t.Fatalf("the agent did not take the network once its holders were gone:\n%s", intruder.Logs())
	}
	intruder.Signal(syscall.SIGTERM)

	holder.Start()
	holder.WaitPod(name, time.Minute, "Running after the restart", framework.Running)
	holder.CheckInventory(t, 30*time.Second)
}
