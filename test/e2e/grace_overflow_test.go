//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Issue 14, defect 6: a grace period too large for a time.Duration must
// not leave a pod Terminating forever. Each pod runs kubia, which exits on
// SIGTERM and leaves a mark in a hostPath directory, so the test sees both
// that the pod went promptly and that it was stopped gracefully (SIGTERM
// first), not SIGKILLed at once.

// hugeGraceGone is how long a pod whose container exits on SIGTERM may take
// to be gone after its deletion, whatever its grace period says.
const hugeGraceGone = 30 * time.Second

// hugeGracePod is kubia with the given terminationGracePeriodSeconds,
// writing its SIGTERM mark into out.
func hugeGracePod(env *framework.Env, name, grace, out string) string {
	manifest := kubiaPod(env, name, `    args: ["-sigterm-file", "/out/sigterm"]
    volumeMounts: [{name: out, mountPath: /out}]
`, hookVolume(out))
	return strings.Replace(manifest, "terminationGracePeriodSeconds: 5", "terminationGracePeriodSeconds: "+grace, 1)
}

// TestHugeTerminationGracePeriodStillStopsThePod: a manifest may say any
// non-negative int64, as the API server accepts; removing it must still
// send SIGTERM and remove the pod once its container exits.
func TestHugeTerminationGracePeriodStillStopsThePod(t *testing.T) {
	agent := framework.StartAgent(t)
	for _, grace := range []string{
		"9223372036854775807", // max int64: seconds × 1e9 wraps around
		"9223372036",          // the largest whole seconds a Duration holds: plus the CRI call's margin it wraps
	} {
		t.Run(grace, func(t *testing.T) {
			name := framework.UniqueName("hugegrace")
			out := hookDir(t)
			agent.WriteManifest(name+".yaml", hugeGracePod(agent.Env, name, grace, out))
			agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

			agent.RemoveManifest(name + ".yaml")
			hugeGraceWaitGone(t, agent, name)
			if _, err := os.Stat(filepath.Join(out, "sigterm")); err != nil {
				t.Fatalf("pod %s (terminationGracePeriodSeconds %s) went without SIGTERM reaching its container: %v", name, grace, err)
			}
		})
	}
}

// TestDeleteWithHugeGracePeriodStillStopsThePod: a delete's
// gracePeriodSeconds of 9223372036 (the reproduction), sent as
// kubectl sends it (DeleteOptions in the body) and as a query parameter,
// which the API server reads when the body is empty.
func TestDeleteWithHugeGracePeriodStillStopsThePod(t *testing.T) {
	const grace = 9223372036
	agent := framework.StartAgent(t)
	start := func(t *testing.T) (name, out string) {
		name, out = framework.UniqueName("delgrace"), hookDir(t)
		agent.WriteManifest(name+".yaml", hugeGracePod(agent.Env, name, "5", out))
		agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
		return name, out
	}
	t.Run("kubectl --grace-period", func(t *testing.T) {
		name, out := start(t)
		kubectlFor(t, agent).must("delete", "pod", name, fmt.Sprintf("--grace-period=%d", grace), "--wait=false")
		hugeGraceWaitGone(t, agent, name)
		hookMTime(t, out, "sigterm")
	})
	t.Run("?gracePeriodSeconds", func(t *testing.T) {
		name, out := start(t)
		deleted := hugeGraceDelete(t, agent, fmt.Sprintf("/api/v1/namespaces/default/pods/%s?gracePeriodSeconds=%d", name, grace))
		if got := deleted.DeletionGracePeriodSeconds; got == nil || *got != grace {
			t.Errorf("the deleted pod's deletionGracePeriodSeconds is %v, want the %d the request gave", ptrText(got), grace)
		}
		hugeGraceWaitGone(t, agent, name)
		hookMTime(t, out, "sigterm")
	})
}

// hugeGraceDelete sends DELETE path with an empty body and returns the pod
// the API answered with.
func hugeGraceDelete(t *testing.T, agent *framework.Agent, path string) *v1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, agent.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := agent.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("DELETE %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE %s: %s\n%s", path, resp.Status, body)
	}
	var pod v1.Pod
	if err := json.Unmarshal(body, &pod); err != nil {
		t.Fatalf("DELETE %s answered with something other than a pod: %v\n%s", path, err, body)
	}
	return &pod
}

// hugeGraceWaitGone waits until the pod's sandboxes are gone from the
// runtime and the agent no longer lists it.
func hugeGraceWaitGone(t *testing.T, agent *framework.Agent, name string) {
	t.Helper()
	began := time.Now()
	for len(podSandboxes(t, name)) > 0 || agent.Pod(name) != nil {
		if time.Since(began) > hugeGraceGone {
			status := "not listed"
			if pod := agent.Pod(name); pod != nil {
				status = fmt.Sprintf("%s %v", pod.Status.Phase, pod.DeletionTimestamp)
			}
			t.Fatalf("pod %s still there %s after its deletion (agent: %s); its container exits on SIGTERM\nagent log (tail):\n%s",
				name, hugeGraceGone, status, pfTail(agent.Logs(), 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ptrText(p *int64) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
