//go:build e2e

package e2e

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// A liveness probe that never passes puts its container in
// CrashLoopBackOff, as under the kubelet, rather than restarting it every
// probe period for as long as the pod lives (the soak saw restart counts
// climb by two a second).
func TestFailingLivenessProbeBacksOff(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("liveback")
	// /healthz answers 500 while the -unhealthy-file exists: /kubia always does.
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    args: ["-unhealthy-file", "/kubia"]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
      failureThreshold: 1
`, ""))
	agent.WaitPod(name, 60*time.Second, "restarted once by its liveness probe", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount >= 1
	})
	// Restart 1 is at once; the next is held 10 s after the second kill.
	// Eight seconds hold at most one more restart, and show the back-off.
	backedOff := false
	deadline := time.Now().Add(8 * time.Second)
	var cs v1.ContainerStatus
	for time.Now().Before(deadline) {
		cs = probeStatus(t, agent.Pod(name), "kubia")
		if w := cs.State.Waiting; w != nil && w.Reason == "CrashLoopBackOff" {
			backedOff = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	if cs.RestartCount > 2 || !backedOff {
		t.Fatalf("after 8 s of a failing liveness probe: %d restarts, CrashLoopBackOff seen: %v; want at most 2 restarts and the back-off",
			cs.RestartCount, backedOff)
	}
}
