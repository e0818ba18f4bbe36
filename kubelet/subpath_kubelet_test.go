//go:build linux

package kubelet

import (
	"github.com/minikubelet/minikubelet/kubelet/volume"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// subPathPod is testPod with an emptyDir "data" that container "app"
// mounts at /data with the given sub-path settings.
func subPathPod(mount v1.VolumeMount, env ...v1.EnvVar) *v1.Pod {
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Spec.Volumes = []v1.Volume{{Name: "data", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}}
	mount.Name, mount.MountPath = "data", "/data"
	pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{mount}
	pod.Spec.Containers[0].Env = env
	return pod
}

// A container that can write an emptyDir plants symlinks in it; the next
// container mounting a sub-path through them must not be given the host's
// files: the agent refuses to create it, saying why.
func TestSubPathThroughPlantedSymlinkIsRefused(t *testing.T) {
	hostFile := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(hostFile, []byte("host only"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		plant   map[string]string // link name in the volume → target
		subPath string
		wantMsg string
	}{
		{name: "last component to /", plant: map[string]string{"conf": "/"}, subPath: "conf",
			wantMsg: `spec.containers[0].volumeMounts[0].subPath: mounting "conf" of volume "data": "conf" is a symbolic link`},
		{name: "middle component to /", plant: map[string]string{"a": "/"}, subPath: "a/etc",
			wantMsg: `"a" is a symbolic link`},
		{name: "last component to a host file", plant: map[string]string{"conf": hostFile}, subPath: "conf",
			wantMsg: `"conf" is a symbolic link`},
		{name: "relative link climbing out", plant: map[string]string{"up": "../../../../../../.."}, subPath: "up",
			wantMsg: `"up" is a symbolic link`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newFakeRuntime()
			k := startKubelet(t, rt)
			pod := subPathPod(v1.VolumeMount{SubPath: tt.subPath})
			volume := volume.EmptyDirPath(k.podDir(pod.UID), "data")
			if err := os.MkdirAll(volume, 0o777); err != nil {
				t.Fatal(err)
			}
			for link, target := range tt.plant {
				if err := os.Symlink(target, filepath.Join(volume, link)); err != nil {
					t.Fatal(err)
				}
			}
			k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
			waiting := waitContainerRefusedOrCreated(t, k, rt, "app")
			if waiting.Reason != ReasonCreateConfig || !strings.Contains(waiting.Message, tt.wantMsg) {
				t.Fatalf("container waiting %s: %q; want %s with %q", waiting.Reason, waiting.Message, ReasonCreateConfig, tt.wantMsg)
			}
		})
	}
}

// waitContainerRefusedOrCreated waits until the container is refused, and
// fails the test at once, naming where its mounts lead, if it is created.
func waitContainerRefusedOrCreated(t *testing.T, k *Kubelet, rt *fakeRuntime, name string) *v1.ContainerStateWaiting {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if mounts, created := rt.mountsOf(name); created {
			for _, m := range mounts {
				resolved, _ := filepath.EvalSymlinks(m.HostPath)
				t.Errorf("container %s was created with %s mounted from %s (resolves to %s)", name, m.ContainerPath, m.HostPath, resolved)
			}
			t.FailNow()
		}
		if _, p := viewPhase(k, "web"); p != nil {
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Name == name && cs.State.Waiting != nil && cs.State.Waiting.Reason == ReasonCreateConfig {
					return cs.State.Waiting
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("container %s neither refused nor created within 5s", name)
	return nil
}

// subPathExpr mounts the sub-directory named by the container's env, not
// the whole volume; the bind mount is gone with the pod.
func TestSubPathExprMountsExpandedSubDirectory(t *testing.T) {
	requireRoot(t)
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := subPathPod(v1.VolumeMount{SubPathExpr: "logs/$(POD_NAME)"},
		v1.EnvVar{Name: "POD_NAME", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "pod Running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	mounts, _ := rt.mountsOf("app")
	if len(mounts) == 0 || mounts[0].ContainerPath != "/data" {
		t.Fatalf("mounts = %v, want /data first", mounts)
	}
	// What the runtime mounts must show <volume>/logs/web and nothing else.
	marker := filepath.Join(mounts[0].HostPath, "marker")
	if err := os.WriteFile(marker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	volume := volume.EmptyDirPath(k.podDir(pod.UID), "data")
	if _, err := os.Stat(filepath.Join(volume, "logs", "web", "marker")); err != nil {
		t.Fatalf("a file written to the mount source %s is not in <volume>/logs/web: %v", mounts[0].HostPath, err)
	}
	if info, err := os.Stat(filepath.Join(volume, "logs", "web")); err != nil || info.Mode().Perm() != 0o777 {
		t.Fatalf("created sub-directory: %v, %v; want mode 0777 like the emptyDir", info, err)
	}

	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "pod removed", func() bool { _, found := k.GetPod("default", "web"); return !found })
	if left := mountsUnder(t, k.cfg.RootDir); len(left) > 0 {
		t.Fatalf("mounts left under the root dir after the pod was removed: %q", left)
	}
	if _, err := os.Stat(k.podDir(pod.UID)); !os.IsNotExist(err) {
		t.Fatalf("pod directory still there: %v", err)
	}
}

// A pod directory left behind by an agent killed mid-cleanup may still
// hold subPath bind mounts; finishing that cleanup must take them down
// first, not delete what they show (for a hostPath, the host's files).
func TestOrphanedPodDirCleanupUnmountsSubPathsFirst(t *testing.T) {
	requireRoot(t)
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	t.Cleanup(func() {
		for _, point := range mountsUnder(t, k.cfg.RootDir) {
			_ = unmountAll(point)
		}
	})
	hostDir := filepath.Join(t.TempDir(), "host-data")
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(hostDir, "keep"), []byte("host data"), 0o644); err != nil {
		t.Fatal(err)
	}
	orphanDir := k.podDir("uid-orphan")
	target := subPathTarget(orphanDir, "data", "app", 0)
	if err := bindSubPath(filepath.Dir(hostDir), []string{filepath.Base(hostDir)}, target); err != nil {
		t.Fatal(err)
	}

	k.SetSourcePods(SourceUpdate{Source: SourceFile}) // the manifests are read: orphans may go
	eventually(t, "orphaned pod directory removed", func() bool {
		_, err := os.Stat(orphanDir)
		return os.IsNotExist(err)
	})
	if left := mountsUnder(t, k.cfg.RootDir); len(left) > 0 {
		t.Errorf("mounts left under the root dir: %q", left)
	}
	if _, err := os.Stat(filepath.Join(hostDir, "keep")); err != nil {
		t.Errorf("removing the orphaned pod directory deleted the mounted host files: %v", err)
	}
}
