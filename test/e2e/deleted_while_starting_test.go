//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Manifests removed while their pods' sandboxes are being created leave
// nothing behind. Canceling RunPodSandbox does not stop containerd, which
// went on to recreate the pod's cgroup after the agent had removed it and
// forgotten the pod; the soak found one such cgroup every few hundred pods.
// The removals are spread over the time a sandbox takes to start on a busy
// machine, so that many land during RunPodSandbox.
func TestPodsDeletedWhileStartingLeaveNothing(t *testing.T) {
	agent := framework.StartAgent(t)
	for i := range 16 {
		name := framework.UniqueName("gone-early")
		agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
		time.Sleep(200*time.Millisecond + time.Duration(i%8)*75*time.Millisecond)
		agent.RemoveManifest(name + ".yaml")
		hookWaitGone(t, agent, name, time.Minute)
	}
	agent.CheckInventory(t, time.Minute)
}
