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

// Chaos case 6: the manifest directory deleted and made again, or
// replaced by a symlink swap, the way config-management tools deploy (the
// directory is a symlink to versions/N, swapped with a rename). Pods follow
// the directory's content; a file whose content did not change keeps its
// pod and containers. The agent relists its directory only once an hour
// here, so what it sees, it sees through its watch.

// manifestDeploy is one set of manifests a tool deploys: file name → pod
// name and whether its spec is the edited one.
type manifestDeploy map[string]bool

// deployTo writes a deploy's files into dir.
func deployTo(t *testing.T, env *framework.Env, dir string, deploy manifestDeploy) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, edited := range deploy {
		extra := ""
		if edited {
			extra = "    env:\n    - name: EDITED\n      value: \"1\"\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(kubiaPod(env, name, extra, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// manifestSet holds the pod names a case deploys.
type manifestSet struct{ kept, edited, dropped, added string }

func newManifestSet() manifestSet {
	return manifestSet{framework.UniqueName("kept"), framework.UniqueName("edited"), framework.UniqueName("dropped"), framework.UniqueName("added")}
}

func (m manifestSet) first() manifestDeploy {
	return manifestDeploy{m.kept: false, m.edited: false, m.dropped: false}
}

func (m manifestSet) second() manifestDeploy {
	return manifestDeploy{m.kept: false, m.edited: true, m.added: false}
}

// followed waits until the agent runs exactly the second deploy — the kept
// pod with the same UID and container, the edited one replaced, the
// dropped one gone, the added one running — and checks the inventory.
func (m manifestSet) followed(t *testing.T, agent *framework.Agent, before map[string]v1.Pod, containers map[string]string, changed time.Time) (converged, clean time.Duration) {
	t.Helper()
	agent.WaitPod(m.added, chaosConverge, "added and Running", framework.Running)
	agent.WaitPod(m.edited, chaosConverge, "replaced and Running", func(p *v1.Pod) bool {
		return p.UID != before[m.edited].UID && framework.Running(p)
	})
	framework.WaitUntil(t, chaosConverge, "the dropped pod gone", func() bool { return agent.Pod(m.dropped) == nil })
	converged = time.Since(changed)
	clean = chaosClean(t, agent, changed)
	kept := agent.Pod(m.kept)
	key := string(before[m.kept].UID) + "/kubia"
	if kept == nil || kept.UID != before[m.kept].UID {
		t.Errorf("the pod of the unchanged file was replaced: %v", kept)
	}
	if replaced := chaosReplaced(map[string]string{key: containers[key]}, chaosContainers(t, agent)); len(replaced) > 0 {
		t.Errorf("the container of the unchanged file was restarted: %s", strings.Join(replaced, ", "))
	}
	return converged, clean
}

// snapshot returns the pods of names and the running containers.
func snapshot(t *testing.T, agent *framework.Agent, names ...string) (map[string]v1.Pod, map[string]string) {
	t.Helper()
	pods := map[string]v1.Pod{}
	for _, name := range names {
		pods[name] = *agent.WaitPod(name, chaosConverge, "Running", framework.Running)
	}
	return pods, chaosContainers(t, agent)
}

func TestChaosManifestDirDeletedAndRecreated(t *testing.T) {
	requireChaos(t)
	agent := framework.StartAgent(t, "--manifest-relist-period", "1h")
	set := newManifestSet()
	deployTo(t, agent.Env, agent.ManifestDir, set.first())
	pods, containers := snapshot(t, agent, set.kept, set.edited, set.dropped)

	// A tool redeploys: the directory goes and comes back at once, with
	// other content.
	changed := time.Now()
	if err := os.RemoveAll(agent.ManifestDir); err != nil {
		t.Fatal(err)
	}
	deployTo(t, agent.Env, agent.ManifestDir, set.second())
	took, clean := set.followed(t, agent, pods, containers, changed)

	// The directory gone for good: its pods go. Made again later: they
	// come back, and files written afterwards are seen too.
	if err := os.RemoveAll(agent.ManifestDir); err != nil {
		t.Fatal(err)
	}
	framework.WaitUntil(t, chaosConverge, "every pod gone with the directory", func() bool {
		pods, err := agent.Pods()
		return err == nil && len(pods) == 0
	})
	agent.CheckInventory(t, chaosConverge)
	recreated := time.Now()
	deployTo(t, agent.Env, agent.ManifestDir, manifestDeploy{set.kept: false})
	late := framework.UniqueName("late")
	agent.WriteManifest(late+".yaml", kubiaPod(agent.Env, late, "", ""))
	chaosWaitRunning(t, agent, []string{set.kept, late}, chaosConverge)
	again := time.Since(recreated)
	agent.CheckInventory(t, chaosConverge)
	framework.RecordFigures(t, framework.Figures{
		Case: "manifest directory deleted and made again", Faults: "2 deletions", Pods: 6,
		Converged: took, Clean: clean, Restarts: chaosRestarts(agent.RestartCounts(t)),
		Note: fmt.Sprintf("redeployed at once: followed in %s; gone, then made again: followed in %s",
			took.Round(100*time.Millisecond), again.Round(100*time.Millisecond)),
	})
}

func TestChaosManifestDirSymlinkSwapped(t *testing.T) {
	requireChaos(t)
	agent := framework.NewAgent(t, "--manifest-relist-period", "1h")
	base := t.TempDir()
	set := newManifestSet()
	deployTo(t, agent.Env, filepath.Join(base, "versions", "1"), set.first())
	agent.ManifestDir = filepath.Join(base, "current")
	swapSymlink(t, agent.ManifestDir, filepath.Join("versions", "1"))
	agent.Start()
	pods, containers := snapshot(t, agent, set.kept, set.edited, set.dropped)

	deployTo(t, agent.Env, filepath.Join(base, "versions", "2"), set.second())
	changed := time.Now()
	swapSymlink(t, agent.ManifestDir, filepath.Join("versions", "2"))
	took, clean := set.followed(t, agent, pods, containers, changed)

	// The next deploy is followed too, and the old version can go.
	third := set.second()
	late := framework.UniqueName("late")
	third[late] = false
	deployTo(t, agent.Env, filepath.Join(base, "versions", "3"), third)
	swapSymlink(t, agent.ManifestDir, filepath.Join("versions", "3"))
	if err := os.RemoveAll(filepath.Join(base, "versions", "1")); err != nil {
		t.Fatal(err)
	}
	swapped := time.Now()
	chaosWaitRunning(t, agent, []string{set.kept, set.edited, set.added, late}, chaosConverge)
	second := time.Since(swapped)
	agent.CheckInventory(t, chaosConverge)
	framework.RecordFigures(t, framework.Figures{
		Case: "manifest directory swapped by symlink", Faults: "2 swaps", Pods: 6,
		Converged: took, Clean: clean, Restarts: chaosRestarts(agent.RestartCounts(t)),
		Note: fmt.Sprintf("first swap followed in %s, second in %s", took.Round(100*time.Millisecond), second.Round(100*time.Millisecond)),
	})
}

// swapSymlink points link at target atomically, as deploy tools do: a new
// symlink renamed over the old one.
func swapSymlink(t *testing.T, link, target string) {
	t.Helper()
	tmp := link + ".new"
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}
