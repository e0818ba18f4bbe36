//go:build e2e

package e2e

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestAgentNetworkPodCIDRChange: the bridge plugin never changes the
// address of a bridge it made, so after --pod-cidr changed every new
// sandbox failed with its raw error. An agent started with a new pod CIDR
// refuses, in one line naming the conflict and the fix, while pods of the
// old range still use the bridge; once they are gone it re-addresses the
// bridge and new pods run in the new range. On a private node, whose
// bridge nobody else uses.
func TestAgentNetworkPodCIDRChange(t *testing.T) {
	const oldCIDR, newCIDR = "10.68.1.0/24", "10.68.2.0/24"
	node := framework.StartNode(t, framework.NodeConfig{PodCIDR: oldCIDR})
	agent := node.NewAgent(t)
	agent.Start()
	old := framework.UniqueName("old-range")
	agent.WriteManifest(old+".yaml", kubiaPod(agent.Env, old, "", ""))
	agentNetPodIPIn(t, agent.WaitPod(old, time.Minute, "Running", framework.Running), oldCIDR)
	agent.Signal(syscall.SIGTERM)

	oldArgs := agent.ExtraArgs
	agent.ExtraArgs = append(slices.Clone(oldArgs), "--pod-cidr", newCIDR)
	out := agent.StartRefused(30 * time.Second)
	errorLines := slices.DeleteFunc(strings.Split(out, "\n"), func(line string) bool { return !strings.HasPrefix(line, "error:") })
	if len(errorLines) != 1 {
		t.Fatalf("want exactly one error line, got %d:\n%s", len(errorLines), out)
	}
	for _, part := range []string{"bridge " + node.BridgeName, "10.68.1.1/24", "--pod-cidr " + newCIDR, "10.68.2.1/24",
		"1 attached: veth", "keep --pod-cidr " + oldCIDR, "--bridge-name"} {
		if !strings.Contains(errorLines[0], part) {
			t.Errorf("the refusal lacks %q: %s", part, errorLines[0])
		}
	}
	t.Logf("refused: %s", errorLines[0])

	// The old range's pod goes, through an agent on the old range.
	agent.ExtraArgs = oldArgs
	agent.Start()
	agent.RemoveManifest(old + ".yaml")
	framework.WaitUntil(t, time.Minute, "the old range's sandbox gone", func() bool { return len(node.SandboxIDs(t, false)) == 0 })
	agent.Signal(syscall.SIGTERM)

	agent.ExtraArgs = append(slices.Clone(oldArgs), "--pod-cidr", newCIDR)
	agent.Start()
	fresh := framework.UniqueName("new-range")
	agent.WriteManifest(fresh+".yaml", kubiaPod(agent.Env, fresh, "", ""))
	agentNetPodIPIn(t, agent.WaitPod(fresh, time.Minute, "Running in the new range", framework.Running), newCIDR)
	addrs := node.Netns.MustRun(t, "ip", "-4", "-brief", "addr", "show", node.BridgeName)
	if !strings.Contains(addrs, "10.68.2.1/24") || strings.Contains(addrs, "10.68.1.1/24") {
		t.Errorf("bridge addresses after the change: %s", addrs)
	}
	if !strings.Contains(agent.Logs(), "re-addressed the pod bridge") {
		t.Errorf("the agent did not say it re-addressed the bridge:\n%s", agent.Logs())
	}
	agent.CheckInventory(t, 30*time.Second)
}
