//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Chaos case 3: the agent and the runtime SIGKILLed together, on the test
// bed's own runtime (containerd 1.6, containerd 2.4 or CRI-O), in the
// middle of sandbox creation and in the middle of container creation.
// Once both are back the node converges: every pod runs in one sandbox,
// every address belongs to a live sandbox, nothing is left. An address the
// runtime allocated but never recorded (as a runtime that dies between
// CNI ADD and its own bookkeeping leaves one) is made by the test while
// the runtime is down, so its release is checked on every run.
// (TestAgentNetworkCrashMidCreationLeaksNoAddress does the same on a
// private containerd 1.6 node.)

// crashLeakGrace is the agent's --cni-leak-grace here: short, so the case
// converges in seconds rather than the default 3 minutes, but longer than
// a RunPodSandbox takes on a loaded 2-core machine, since an address is
// released only when its sandbox is unknown to the runtime for that long
// (containerd 2.4 lists a sandbox only once its network is set up).
const crashLeakGrace = 20 * time.Second

func TestChaosBothKilledMidSandboxCreation(t *testing.T) {
	requireChaos(t)
	chaosBothKilled(t, "agent and runtime SIGKILLed mid sandbox creation", 1, func(c crashCounts) bool {
		return c.sandboxes >= 3
	})
}

func TestChaosBothKilledMidContainerCreation(t *testing.T) {
	requireChaos(t)
	chaosBothKilled(t, "agent and runtime SIGKILLed mid container creation", 3, func(c crashCounts) bool {
		return c.readySandboxes == 10 && c.containers >= 5
	})
}

// crashCounts is how far the node's pods have come.
type crashCounts struct {
	sandboxes, readySandboxes, containers, running int
}

// chaosBothKilled writes 10 pods of perContainer containers each, kills
// the agent and the runtime together once moment holds, and checks that
// the node converges once both are back.
func chaosBothKilled(t *testing.T, name string, perContainer int, moment func(crashCounts) bool) {
	agent := framework.StartAgent(t, "--cni-check-interval", "500ms", "--cni-leak-grace", crashLeakGrace.String())
	var names []string
	for i := range 10 {
		names = append(names, framework.UniqueName(fmt.Sprintf("crash%d", i)))
		agent.WriteManifest(names[i]+".yaml", crashPod(agent.Env, names[i], perContainer))
	}
	var at crashCounts
	framework.WaitUntil(t, 2*time.Minute, "the moment to kill", func() bool {
		at = countCrash(t, agent)
		if at.running == 10*perContainer {
			t.Fatalf("every pod ran before the moment to kill came: %+v", at)
		}
		return moment(at)
	})
	framework.KillAgentAndRuntime(t, agent)
	leak := crashLeakAddress(t, agent.Env)
	agent.Env.StartRuntime(t)
	agent.Start()
	restarted := time.Now()

	chaosWaitRunning(t, agent, names, chaosConverge)
	converged := time.Since(restarted)
	clean := chaosClean(t, agent, restarted)
	released, _ := agent.Metric("minikubelet_cni_leaked_addresses_released_total")
	byAgent := strings.Contains(agent.Logs(), "containerID="+leak)
	restarts := chaosRestarts(agent.RestartCounts(t))
	framework.RecordFigures(t, framework.Figures{
		Case: name, Faults: "1 kill of both", Pods: len(names), Restarts: restarts, Converged: converged, Clean: clean,
		Released: fmt.Sprintf("%v address(es)", released),
		Note: fmt.Sprintf("killed at %d/%d sandboxes (%d ready), %d/%d containers (%d running); the test's leaked address released by the %s",
			at.sandboxes, len(names), at.readySandboxes, at.containers, len(names)*perContainer, at.running, releaser(byAgent)),
	})
	if restarts != 0 {
		t.Errorf("%d containers restarted; none had run when the node was killed", restarts)
	}
}

// releaser names who released the test's leaked address: CRI-O releases
// entries it does not know when it starts, containerd leaves them to the
// agent.
func releaser(byAgent bool) string {
	if byAgent {
		return "agent"
	}
	return "runtime"
}

// crashPod is a kubia pod of n containers, each serving on its own port.
func crashPod(env *framework.Env, name string, n int) string {
	var containers strings.Builder
	for i := range n {
		fmt.Fprintf(&containers, "  - name: c%d\n    image: %s\n    args: [\"-listen\", \":%d\"]\n", i, env.KubiaImage, 8080+i)
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n%s", name, containers.String())
}

// countCrash counts the node's sandboxes and containers in the runtime,
// from one listing of each.
func countCrash(t *testing.T, agent *framework.Agent) crashCounts {
	t.Helper()
	node := "io.minikubelet.node=" + agent.NodeName
	var counts crashCounts
	var pods struct {
		Items []struct {
			State string `json:"state"`
		} `json:"items"`
	}
	if out, _, err := agent.Env.RunCrictl("pods", "-o", "json", "--label", node); err == nil && json.Unmarshal([]byte(out), &pods) == nil {
		for _, p := range pods.Items {
			counts.sandboxes++
			if p.State == "SANDBOX_READY" {
				counts.readySandboxes++
			}
		}
	}
	var ps struct {
		Containers []struct {
			State string `json:"state"`
		} `json:"containers"`
	}
	if out, _, err := agent.Env.RunCrictl("ps", "-a", "-o", "json", "--label", node); err == nil && json.Unmarshal([]byte(out), &ps) == nil {
		for _, c := range ps.Containers {
			counts.containers++
			if c.State == "CONTAINER_RUNNING" {
				counts.running++
			}
		}
	}
	return counts // a busy runtime timing out only delays the moment
}

// crashLeakAddress runs CNI ADD with the runtime's conflist, plugins and
// CNI state, as the runtime would, for a sandbox ID it never recorded, in
// a namespace of the test's, and returns that ID. Whatever releases it
// (the agent, or CRI-O at its start), the test's cleanup runs CNI DEL.
func crashLeakAddress(t *testing.T, env *framework.Env) string {
	t.Helper()
	conflist, err := libcni.ConfListFromFile(filepath.Join(env.CNIConfDir, cni.ConfFileName))
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := env.CNICacheDir
	if cacheDir == "" {
		cacheDir = cni.DefaultCacheDir
	}
	plugins := libcni.NewCNIConfigWithCacheDir([]string{env.CNIBinDir}, cacheDir, nil)
	netns := framework.NewNetns(t, "mkleak-")
	leak := &libcni.RuntimeConf{ContainerID: framework.RandomHex(32), NetNS: netns.Path(), IfName: "eth0"}
	if _, err := plugins.AddNetworkList(framework.Context(t, time.Minute), conflist, leak); err != nil {
		t.Fatalf("CNI ADD for the simulated leak: %v", err)
	}
	framework.Cleanup(t, "CNI DEL of the simulated leak", func(ctx context.Context) error {
		return plugins.DelNetworkList(ctx, conflist, leak)
	})
	return leak.ContainerID
}
