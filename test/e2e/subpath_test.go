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

// subPathPod is a pod whose init container plants symlinks in an emptyDir
// (mounted whole at /vol) and whose app container "reader" then mounts a
// sub-path of it at /data. The images are pulled Always: the kubia image
// gained "ln" and a runtime may hold an older one under the same tag.
func subPathPod(env *framework.Env, name, plantArgs, subPath string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: data, emptyDir: {}}
  initContainers:
  - name: plant
    image: %s
    imagePullPolicy: Always
    command: ["/kubia", "ln", "-s", %s]
    volumeMounts: [{name: data, mountPath: /vol}]
  containers:
  - name: reader
    image: %s
    imagePullPolicy: Always
    command: ["/kubia", "sleep", "infinity"]
    volumeMounts: [{name: data, mountPath: /data, subPath: %q, readOnly: true}]
`, name, env.KubiaImage, plantArgs, env.KubiaImage, subPath)
}

// A container that can write an emptyDir plants symlinks to the host in
// it; a container started after that with a subPath through them must not
// see the host's files (CVE-2017-1002101). The agent refuses to create it,
// as the kubelet does, and says which field and which link.
func TestSubPathSymlinkPlantedInVolumeDoesNotReachHost(t *testing.T) {
	agent := startSubPathAgent(t)
	hostDir := t.TempDir()
	secret := "host-secret-" + framework.RandomHex(8)
	if err := os.WriteFile(filepath.Join(hostDir, "secret"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	type variant struct {
		name, plant, subPath, wantMsg, peek string
	}
	variants := []variant{
		{name: "root", plant: `"/", "/vol/conf"`, subPath: "conf", wantMsg: `"conf" is a symbolic link`, peek: "/data/etc/hostname"},
		{name: "middle", plant: `"/", "/vol/mid"`, subPath: "mid/etc", wantMsg: `"mid" is a symbolic link`, peek: "/data/hostname"},
		{name: "file", plant: fmt.Sprintf("%q, %q", filepath.Join(hostDir, "secret"), "/vol/conf"), subPath: "conf", wantMsg: `"conf" is a symbolic link`, peek: "/data"},
	}
	names := map[string]string{}
	for _, v := range variants {
		names[v.name] = framework.UniqueName("subpath-" + v.name)
		agent.WriteManifest(names[v.name]+".yaml", subPathPod(agent.Env, names[v.name], v.plant, v.subPath))
	}
	// A hostPath volume gets the same resolution: here the link is the
	// test's own, standing for one another pod planted.
	hostVolume := t.TempDir()
	if err := os.Symlink("/", filepath.Join(hostVolume, "conf")); err != nil {
		t.Fatal(err)
	}
	hostPathPod := framework.UniqueName("subpath-hostpath")
	agent.WriteManifest(hostPathPod+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: data, hostPath: {path: %s, type: Directory}}
  containers:
  - name: reader
    image: %s
    imagePullPolicy: Always
    command: ["/kubia", "sleep", "infinity"]
    volumeMounts: [{name: data, mountPath: /data, subPath: conf, readOnly: true}]
`, hostPathPod, hostVolume, agent.Env.KubiaImage))
	variants = append(variants, variant{name: "hostpath", subPath: "conf", wantMsg: `"conf" is a symbolic link`, peek: "/data/etc/hostname"})
	names["hostpath"] = hostPathPod

	for _, v := range variants {
		waiting := waitSubPathRefused(t, agent, names[v.name], "reader", v.peek)
		if waiting == nil {
			continue
		}
		t.Logf("%s: reader waiting: %s", v.name, waiting.Message)
		wantField := "spec.containers[0].volumeMounts[0].subPath"
		if !strings.Contains(waiting.Message, wantField) || !strings.Contains(waiting.Message, v.wantMsg) {
			t.Errorf("%s: refusal %q does not name %s and %s", v.name, waiting.Message, wantField, v.wantMsg)
		}
	}
	for _, name := range names {
		agent.RemoveManifest(name + ".yaml")
	}
	for _, name := range names {
		waitPodGone(t, agent, name)
	}
	checkNoMountsUnder(t, agent.RootDir)
}

// waitSubPathRefused waits for the container to be refused with
// CreateContainerConfigError. If it runs instead, the test fails showing
// what it can read at peek, and it returns nil.
func waitSubPathRefused(t *testing.T, agent *framework.Agent, pod, container, peek string) *v1.ContainerStateWaiting {
	t.Helper()
	p := agent.WaitPod(pod, 90*time.Second, container+" refused or running", func(p *v1.Pod) bool {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == container && (cs.State.Running != nil ||
				cs.State.Waiting != nil && cs.State.Waiting.Reason == "CreateContainerConfigError") {
				return true
			}
		}
		return false
	})
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name != container {
			continue
		}
		if cs.State.Running != nil {
			stdout, _, err := agent.Env.RunCrictl("exec", containerID(t, pod, container), "/kubia", "cat", peek)
			t.Errorf("pod %s: container %s started with the planted symlink's target mounted; kubia cat %s: %q (%v)",
				pod, container, peek, stdout, err)
			return nil
		}
		return cs.State.Waiting
	}
	t.Fatalf("pod %s has no status for container %s", pod, container)
	return nil
}

// The original exploit: the container mounting the sub-path swaps it for a
// symlink to / through a second mount of the whole volume, then exits; its
// restart must not get the host's root.
func TestSubPathSwappedForSymlinkBeforeRestartDoesNotReachHost(t *testing.T) {
	agent := startSubPathAgent(t)
	name := framework.UniqueName("subpath-swap")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: data, emptyDir: {}}
  containers:
  - name: swapper
    image: %s
    imagePullPolicy: Always
    command: ["/kubia", "ln", "-s", "-f", "/", "/vol/conf"]
    volumeMounts:
    - {name: data, mountPath: /vol}
    - {name: data, mountPath: /conf, subPath: conf, readOnly: true}
`, name, agent.Env.KubiaImage))
	p := agent.WaitPod(name, 90*time.Second, "first run over, restart refused or done", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		if len(cs) != 1 {
			return false
		}
		refused := cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CreateContainerConfigError"
		return refused || cs[0].RestartCount >= 1
	})
	cs := p.Status.ContainerStatuses[0]
	if cs.RestartCount >= 1 {
		t.Fatalf("the container restarted with its swapped sub-path mounted (restartCount %d, state %+v)", cs.RestartCount, cs.State)
	}
	if term := cs.LastTerminationState.Terminated; term == nil || term.ExitCode != 0 {
		t.Fatalf("the first run did not plant the symlink and exit 0: %+v", cs.LastTerminationState)
	}
	msg := cs.State.Waiting.Message
	if !strings.Contains(msg, "spec.containers[0].volumeMounts[1].subPath") || !strings.Contains(msg, `"conf" is a symbolic link`) {
		t.Fatalf("refusal %q does not name spec.containers[0].volumeMounts[1].subPath and the link", msg)
	}
	agent.RemoveManifest(name + ".yaml")
	waitPodGone(t, agent, name)
	checkNoMountsUnder(t, agent.RootDir)
}

// subPathExpr mounts the sub-directory named by the expanded env, not the
// whole volume; its bind mount goes with the pod.
func TestSubPathExprMountsOnlyTheExpandedDirectory(t *testing.T) {
	agent := startSubPathAgent(t)
	name := framework.UniqueName("subpathexpr")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: data, emptyDir: {}}
  initContainers:
  - name: inside
    image: %[2]s
    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    command: ["/kubia", "write", "/vol/logs/$(POD_NAME)/inside", "in-subdir"]
    volumeMounts: [{name: data, mountPath: /vol}]
  - name: outside
    image: %[2]s
    command: ["/kubia", "write", "/vol/outside", "at-root"]
    volumeMounts: [{name: data, mountPath: /vol}]
  containers:
  - name: app
    image: %[2]s
    command: ["/kubia", "sleep", "infinity"]
    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    volumeMounts: [{name: data, mountPath: /data, subPathExpr: logs/$(POD_NAME)}]
`, name, agent.Env.KubiaImage))
	agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	id := containerID(t, name, "app")
	if got := strings.TrimSpace(framework.Crictl(t, "exec", id, "/kubia", "cat", "/data/inside")); got != "in-subdir" {
		t.Fatalf("/data/inside = %q, want the file of logs/%s", got, name)
	}
	if stdout, _, err := agent.Env.RunCrictl("exec", id, "/kubia", "cat", "/data/outside"); err == nil {
		t.Fatalf("/data shows the volume root's file (%q): subPathExpr was not applied", stdout)
	}
	if mounts, err := framework.MountsUnder(agent.RootDir); err != nil || len(mounts) != 1 || !strings.Contains(mounts[0], "/volume-subpaths/data/app/0") {
		t.Errorf("mounts under the root dir while the pod runs: %q, %v; want the one subPath bind mount", mounts, err)
	}
	agent.RemoveManifest(name + ".yaml")
	waitPodGone(t, agent, name)
	checkNoMountsUnder(t, agent.RootDir)
}

// startSubPathAgent starts an agent and makes sure no mount of its
// survives into the removal of its temp dirs, whose RemoveAll would
// otherwise delete through it.
func startSubPathAgent(t *testing.T) *framework.Agent {
	agent := framework.StartAgent(t)
	t.Cleanup(func() {
		mounts, _ := framework.MountsUnder(agent.RootDir)
		for _, point := range mounts {
			_ = framework.RunErr("umount", "-l", point)
		}
	})
	return agent
}

func waitPodGone(t *testing.T, agent *framework.Agent, name string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for agent.Pod(name) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("pod %s still there 60s after its manifest was removed", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkNoMountsUnder reads the mount table for mounts the agent left below
// dir, and takes any down so the test's temp dir can be removed safely.
func checkNoMountsUnder(t *testing.T, dir string) {
	t.Helper()
	mounts, err := framework.MountsUnder(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, point := range mounts {
		t.Errorf("mount left under the agent's root dir after its pods were removed: %s", point)
		_ = framework.RunErr("umount", "-l", point)
	}
}
