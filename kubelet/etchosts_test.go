package kubelet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// TestContainersWaitForTheirEtcHosts: a sandbox made while its /etc/hosts
// could not be written (a full disk) gets no container until the file is
// there: the pod waits with the reason, then runs with a whole file.
func TestContainersWaitForTheirEtcHosts(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	// The sandbox of an earlier try is there; its /etc/hosts is not, and
	// cannot be written (a directory, not empty, stands where the
	// temporary file goes).
	config, err := k.sandboxConfig(pod, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RunPodSandbox(t.Context(), config, ""); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(config.GetLogDirectory(), 0o755); err != nil { // made with the sandbox
		t.Fatal(err)
	}
	blocker := k.etcHostsPath(pod) + ".tmp"
	if err := os.MkdirAll(filepath.Join(blocker, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod, File: "/m/web.yaml"}}})
	eventually(t, "the failed /etc/hosts in the status", func() bool {
		reason, message := sandboxWaiting(k)
		return reason == ReasonCreatePodSandbox && strings.Contains(message, "writing the pod's /etc/hosts")
	})
	rt.mu.Lock()
	created := rt.calls["CreateContainer"]
	rt.mu.Unlock()
	if created != 0 {
		t.Fatalf("%d containers created without their /etc/hosts", created)
	}
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pod running", func() bool {
		phase, p := viewPhase(k, "web")
		return phase == v1.PodRunning && allContainersRunning(p.Status)
	})
	if hosts, err := os.ReadFile(k.etcHostsPath(pod)); err != nil || !strings.Contains(string(hosts), "localhost") {
		t.Fatalf("/etc/hosts once the pod runs: %q, %v", hosts, err)
	}
}
