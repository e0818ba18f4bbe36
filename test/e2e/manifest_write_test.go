//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestManifestWrittenInTwoWritesRunsOnlyTheWholeSpec: a manifest written
// through one open file in two writes with a pause between (a shell's
// `{ cat first; sleep 2; cat rest; } > pod.yaml`), whose first write is a
// valid pod on its own, runs only the whole spec: the agent's pod watch
// never shows a pod with the first write's spec, only the complete one.
func TestManifestWrittenInTwoWritesRunsOnlyTheWholeSpec(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("twowrites")
	rest := "    env:\n    - {name: COMPLETE, value: \"yes\"}\n"
	first := kubiaPod(agent.Env, name, "", "")
	if first+rest != kubiaPod(agent.Env, name, rest, "") {
		t.Fatal("the two writes do not add up to the whole manifest")
	}
	seen := watchPodVersions(t, agent, name)

	file, err := os.OpenFile(filepath.Join(agent.ManifestDir, name+".yaml"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.WriteString(first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if _, err := file.WriteString(rest); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}

	pod := agent.WaitPod(name, time.Minute, "Running with the whole spec", func(p *v1.Pod) bool {
		return framework.Running(p) && hasCompleteEnv(p)
	})
	versions := seen()
	if len(versions) == 0 {
		t.Fatal("the pod watch saw no version of the pod")
	}
	for _, p := range versions {
		if p.UID != pod.UID || !hasCompleteEnv(&p) {
			t.Fatalf("the agent had a pod (UID %s) with a spec the user did not write: containers %+v; the whole spec's pod is %s",
				p.UID, p.Spec.Containers, pod.UID)
		}
	}
	t.Logf("the pod watch saw %d versions of the pod, all of UID %s with the whole spec", len(versions), pod.UID)
	agent.CheckInventory(t, 20*time.Second)
}

func hasCompleteEnv(p *v1.Pod) bool {
	c := p.Spec.Containers
	return len(c) == 1 && len(c[0].Env) == 1 && c[0].Env[0].Name == "COMPLETE"
}

// watchPodVersions watches the agent's pods through its API from now on
// and returns a function giving every version of the named pod seen so far.
func watchPodVersions(t *testing.T, agent *framework.Agent, name string) func() []v1.Pod {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	resp, err := agent.Get(ctx, "/api/v1/namespaces/default/pods?watch=true")
	if err != nil {
		t.Fatalf("watching pods: %v", err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("watching pods: %s", resp.Status)
	}
	var mu sync.Mutex
	var versions []v1.Pod
	go func() {
		defer resp.Body.Close()
		decoder := json.NewDecoder(resp.Body)
		for {
			var event struct {
				Type   string `json:"type"`
				Object v1.Pod `json:"object"`
			}
			if err := decoder.Decode(&event); err != nil {
				return
			}
			if event.Object.Name == name && event.Type != "DELETED" {
				mu.Lock()
				versions = append(versions, event.Object)
				mu.Unlock()
			}
		}
	}()
	return func() []v1.Pod {
		mu.Lock()
		defer mu.Unlock()
		return append([]v1.Pod(nil), versions...)
	}
}
