//go:build e2e

package e2e

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestContainerExitIsActedOnThroughRuntimeEvents: on the runtimes that
// stream container events (containerd 2.x; CRI-O with enable_pod_events, as
// the test bed runs it), the agent learns of a container's exit from the
// event, not from its relist: with a relist five minutes apart, a killed
// container is running again within seconds.
func TestContainerExitIsActedOnThroughRuntimeEvents(t *testing.T) {
	env := framework.LoadEnv(t)
	if env.Runtime == "containerd" {
		t.Skip("containerd 1.6 has no container event stream; the relist alone notices exits there")
	}
	agent := framework.StartAgent(t, "--relist-period", "5m")
	name := framework.UniqueName("evented")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	pod := agent.WaitPod(name, time.Minute, "Running", framework.Running)
	oldID := runtimeID(pod.Status.ContainerStatuses[0].ContainerID)

	runtime := framework.DialRuntime(t, env)
	killed := time.Now()
	if err := runtime.StopContainer(framework.Context(t, 30*time.Second), oldID, 0); err != nil {
		t.Fatalf("killing container %s: %v", oldID, err)
	}
	agent.WaitPod(name, 15*time.Second, "restarted after its exit (the runtime's event, not the 5-minute relist)", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount >= 1 && cs[0].State.Running != nil && runtimeID(cs[0].ContainerID) != oldID
	})
	t.Logf("%s: the killed container was running again %s after the kill", env.Runtime, time.Since(killed).Round(time.Millisecond))
	agent.CheckInventory(t, 20*time.Second)
}
