//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// A pod's log directory is /var/log/pods/<namespace>_<name>_<uid>, and a
// file name has at most 255 bytes: in namespace default a pod name may
// have 210 characters. The longest accepted name must run, with its log
// directory; one character more must be refused with a clear error, not
// fail in the runtime with "file name too long".
func TestPodNamesAsLongAsTheAgentAccepts(t *testing.T) {
	agent := framework.StartAgent(t)
	longest := padName(framework.UniqueName("longest"), 210)
	agent.WriteManifest("longest.yaml", kubiaPod(agent.Env, longest, "", ""))
	tooLong := padName(framework.UniqueName("toolong"), 211)
	agent.WriteManifest("toolong.yaml", kubiaPod(agent.Env, tooLong, "", ""))

	pod := agent.WaitPod(longest, 90*time.Second, "Running", framework.Running)
	logDir := filepath.Join(agent.PodLogDir, "default_"+longest+"_"+string(pod.UID))
	if len(filepath.Base(logDir)) != 255 {
		t.Errorf("log directory name has %d bytes, want 255 (the limit)", len(filepath.Base(logDir)))
	}
	if entries, err := os.ReadDir(filepath.Join(logDir, "kubia")); err != nil || len(entries) == 0 {
		t.Errorf("no container log in %s: %v", logDir, err)
	}

	refused := agent.WaitPod(tooLong, 20*time.Second, "refused with ManifestError", func(p *v1.Pod) bool {
		return p.Status.Reason == "ManifestError"
	})
	want := "metadata.name: is 211 characters; in namespace \"default\" a pod name may have at most 210"
	if !strings.Contains(refused.Status.Message, want) {
		t.Errorf("status message %q does not say %q", refused.Status.Message, want)
	}
	if logs := agent.Logs(); strings.Contains(logs, "file name too long") {
		t.Errorf("the agent hit a file name too long:\n%s", logs)
	}
}

// padName lengthens a unique name to n characters.
func padName(name string, n int) string {
	return name + strings.Repeat("x", n-len(name))
}
