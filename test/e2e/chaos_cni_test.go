//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Chaos case 4: the CNI bridge plugin removed while pods run. Running pods
// keep running; a new pod shows why it cannot start, naming the plugin;
// all of it recovers when the plugin is back.
//
// The runtime runs CNI itself, from the bin directory of ITS config
// (containerd's bin_dir, CRI-O's plugin_dirs), which on the test bed is
// the host's /usr/lib/cni for every runtime: removing a plugin there would
// break every test on the machine. So this case runs on a private node
// (framework.StartNode: containerd 1.6 in its own network namespace) whose
// containerd and agent both use a bin directory of the test's, whatever
// MINIKUBELET_E2E_RUNTIME says.

func TestChaosCNIBridgePluginRemoved(t *testing.T) {
	requireChaos(t)
	binDir := privatePluginDir(t, framework.LoadEnv(t).CNIBinDir)
	node := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.66.0.0/24", CNIBinDir: binDir})
	agent := node.NewAgent(t, "--cni-check-interval", "1s")
	agent.Start()
	running := chaosWritePods(agent, "before", 3)
	chaosWaitRunning(t, agent, running, 2*time.Minute)
	before, counts := chaosContainers(t, agent), agent.RestartCounts(t)
	logStart := len(agent.Logs())

	bridge := filepath.Join(binDir, "bridge")
	target, err := os.Readlink(bridge)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(bridge); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	blocked := framework.UniqueName("blocked")
	agent.WriteManifest(blocked+".yaml", kubiaPod(agent.Env, blocked, "", ""))
	var waiting *v1.ContainerStateWaiting
	agent.WaitPod(blocked, time.Minute, "a waiting reason that names the plugin", func(p *v1.Pod) bool {
		if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
			return false
		}
		waiting = p.Status.ContainerStatuses[0].State.Waiting
		return strings.Contains(waiting.Message, `"bridge"`)
	})
	t.Logf("the new pod waits: %s: %s", waiting.Reason, waiting.Message)
	if waiting.Reason != "NetworkNotReady" || !strings.Contains(waiting.Message, "install containernetworking-plugins or set --cni-bin-dir") {
		t.Errorf("waiting reason %s: %q, want NetworkNotReady naming the plugin and the fix", waiting.Reason, waiting.Message)
	}
	time.Sleep(5 * time.Second) // five of the agent's CNI checks with the plugin gone
	if replaced := chaosReplaced(before, chaosContainers(t, agent)); len(replaced) > 0 || !agentNetAllRunning(agent, running) {
		t.Fatalf("running pods did not keep running without the plugin: %v", replaced)
	}

	if err := os.Symlink(target, bridge); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	chaosWaitRunning(t, agent, append([]string{blocked}, running...), 2*time.Minute)
	converged := time.Since(back)
	clean := chaosClean(t, agent, back)
	log := agent.Logs()[logStart:]
	gone, returned := strings.Count(log, "a CNI plugin of the pod network is missing"), strings.Count(log, "the CNI plugins of the pod network are back")
	others := chaosWithout(chaosWarnings(log), "a CNI plugin of the pod network is missing")
	restarts := chaosRestarts(agent.RestartCounts(t)) - chaosRestarts(counts)
	framework.RecordFigures(t, framework.Figures{
		Case: "CNI bridge plugin removed under running pods", Runtime: "private containerd 1.6 node",
		Faults: fmt.Sprintf("plugin away %s", back.Sub(removed).Round(time.Second)), Pods: len(running) + 1,
		Restarts: restarts, Converged: converged, Clean: clean,
		LogLines: fmt.Sprintf("%d gone, %d back, %d other warnings", gone, returned, len(others)),
		Note:     "new pod waited with " + waiting.Reason,
	})
	if gone != 1 || returned != 1 || len(others) != 0 {
		t.Errorf("want one line when the plugin went, one when it came back and no other warning, got %d, %d and:\n%s", gone, returned, strings.Join(others, "\n"))
	}
	if restarts != 0 {
		t.Errorf("%d containers restarted", restarts)
	}
}

// privatePluginDir makes a directory of symlinks to every plugin in dir.
func privatePluginDir(t *testing.T, dir string) string {
	t.Helper()
	private := t.TempDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(private, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return private
}
