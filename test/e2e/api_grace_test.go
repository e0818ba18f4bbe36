//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// A delete's --grace-period replaces the pod's terminationGracePeriodSeconds,
// as under the kubelet: a container that ignores SIGTERM in a pod with a
// 60 s grace period is killed after the 3 s the delete asked for.
func TestDeleteGracePeriodOverridesTheSpec(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("grace")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 60
  containers:
  - name: kubia
    image: %s
    args: ["-ignore-sigterm"]
`, name, agent.Env.KubiaImage))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	kubectl := kubectlFor(t, agent)
	began := time.Now()
	kubectl.must("delete", "pod", name, "--grace-period=3", "--wait=false")
	deadline := began.Add(20 * time.Second)
	for len(podSandboxes(t, name)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pod %s still there %s after delete --grace-period=3 (its spec says 60 s)", name, time.Since(began))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if took := time.Since(began); took < 3*time.Second {
		t.Fatalf("pod gone after %s: the container ignores SIGTERM, so it must get its 3 s grace period", took)
	}
}
