//go:build e2e

package e2e

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// housekeepingPeriod is how often the agent scans for pod files and pod
// cgroups left behind (60 relists of 1 s), and the first scan comes right
// after the manifests were read.
const housekeepingPeriod = 60 * time.Second

// TestStrayPodCgroupIsCollected: a pod cgroup under the agent's cgroup
// parent that no pod directory of the agent accounts for (its root dir was
// wiped, or another root dir made it) and that holds no process goes within
// the housekeeping period; a live pod's cgroup stays and its container is
// not restarted.
func TestStrayPodCgroupIsCollected(t *testing.T) {
	agent := framework.NewAgent(t)
	stray := "pod" + framework.RandomHex(16)
	dirs := makeStrayPodCgroup(t, filepath.Join(agent.CgroupParent, stray))
	name := framework.UniqueName("live")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "    resources: {limits: {cpu: 200m, memory: 64Mi}}\n", ""))
	agent.Start()
	live := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	liveCgroup := filepath.Join("/sys/fs/cgroup/memory", agent.CgroupParent, "pod"+string(live.UID))

	deadline := time.Now().Add(housekeepingPeriod + 15*time.Second)
	for left := existing(dirs); len(left) > 0; left = existing(dirs) {
		if time.Now().After(deadline) {
			t.Fatalf("stray pod cgroup still there after the housekeeping period: %v\nagent log:\n%s", left, agent.Logs())
		}
		time.Sleep(250 * time.Millisecond)
	}
	if _, err := os.Stat(liveCgroup); err != nil {
		t.Fatalf("the live pod's cgroup is gone: %v", err)
	}
	if rc := agent.RestartCounts(t)[name+"/kubia"]; rc != 0 {
		t.Fatalf("the live pod's container restarted %d times", rc)
	}
	agent.CheckInventory(t, 20*time.Second)
}

// makeStrayPodCgroup creates path in the cpu and memory hierarchies as the
// agent would for a pod, with limits written and no process, and dates it
// an hour back: a leftover of an earlier run, not a create under way. It is
// removed at the end if the agent did not.
func makeStrayPodCgroup(t *testing.T, path string) []string {
	t.Helper()
	limits := map[string]map[string]string{
		"cpu":    {"cpu.shares": "512", "cpu.cfs_quota_us": "20000"},
		"memory": {"memory.limit_in_bytes": "67108864"},
	}
	var dirs []string
	hourAgo := time.Now().Add(-time.Hour)
	for hierarchy, files := range limits {
		dir := filepath.Join("/sys/fs/cgroup", hierarchy, path)
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", hierarchy, "cgroup.procs")); err != nil {
			t.Skipf("no cgroup v1 %s hierarchy here: %v", hierarchy, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		framework.Cleanup(t, "remove stray cgroup "+dir, func(context.Context) error {
			if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			return nil
		})
		for file, value := range files {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(dir, hourAgo, hourAgo); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

func existing(paths []string) []string {
	var left []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			left = append(left, p)
		}
	}
	return left
}
