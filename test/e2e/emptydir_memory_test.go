//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestMemoryEmptyDirIsATmpfs: medium Memory gives the containers a tmpfs
// of the size limit, shared between them, and the agent takes it down
// with the pod. (Before volume types had one home, the medium was
// accepted and silently ignored: the volume was a directory on disk.)
func TestMemoryEmptyDirIsATmpfs(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("tmpfs")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - name: cache
    emptyDir: {medium: Memory, sizeLimit: 16Mi}
  containers:
  - name: web
    image: %[2]s
    volumeMounts: [{name: cache, mountPath: /cache}]
  - name: side
    image: %[2]s
    args: ["-listen", ":9090"]
    volumeMounts: [{name: cache, mountPath: /data}]
`, name, agent.Env.KubiaImage))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	web, side := containerID(t, name, "web"), containerID(t, name, "side")
	mounts := framework.Crictl(t, "exec", web, "/kubia", "cat", "/proc/self/mounts")
	line := mountLine(mounts, "/cache")
	if !strings.HasPrefix(line, "tmpfs /cache tmpfs ") || !strings.Contains(line, "size=16384k") {
		t.Errorf("/cache in the container is %q, want a 16Mi tmpfs; mounts:\n%s", line, mounts)
	}
	framework.Crictl(t, "exec", web, "/kubia", "write", "/cache/note", "in memory")
	if got := framework.Crictl(t, "exec", side, "/kubia", "cat", "/data/note"); strings.TrimSpace(got) != "in memory" {
		t.Errorf("the other container reads %q through the shared tmpfs", got)
	}

	agent.RemoveManifest(name + ".yaml")
	framework.WaitUntil(t, time.Minute, "the pod gone", func() bool { return agent.Pod(name) == nil })
	if info, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(info), agent.RootDir) {
		t.Errorf("mounts left under the agent's root %s after the pod went:\n%s", agent.RootDir, info)
	}
}

// mountLine returns the line of /proc/mounts for the mount point, or "".
func mountLine(mounts, point string) string {
	for _, line := range strings.Split(mounts, "\n") {
		if fields := strings.Fields(line); len(fields) > 1 && fields[1] == point {
			return line
		}
	}
	return ""
}
