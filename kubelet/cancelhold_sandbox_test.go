package kubelet

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// slowSandboxRuntime's RunPodSandbox works like containerd's: it takes
// until release is closed, and a caller that cancels stops waiting at once
// while the runtime goes on, creates the sandbox's cgroup under the pod's
// (recreating the pod's) as runc does, fails, and removes its own cgroup
// only.
type slowSandboxRuntime struct {
	*fakeRuntime
	cgroupRoot string
	entered    chan struct{}
	release    chan struct{}
	finished   chan struct{} // closed when the runtime is done with the call
}

func (r *slowSandboxRuntime) RunPodSandbox(ctx context.Context, c *runtimeapi.PodSandboxConfig, handler string) (string, error) {
	close(r.entered)
	work := func() (string, error) {
		defer close(r.finished)
		<-r.release
		leaf := filepath.Join(r.cgroupRoot, "memory", c.GetLinux().GetCgroupParent(), "sandbox")
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return "", err
		}
		if ctx.Err() != nil {
			return "", os.Remove(leaf)
		}
		return r.fakeRuntime.RunPodSandbox(ctx, c, handler)
	}
	done := make(chan struct{})
	var id string
	var err error
	go func() { id, err = work(); close(done) }()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-done:
		return id, err
	}
}

// A pod deleted while the runtime creates its sandbox leaves nothing: the
// agent waits for RunPodSandbox instead of abandoning it, then removes the
// sandbox and, after it, the pod's cgroup.
func TestPodDeletedDuringRunPodSandboxLeavesNoCgroup(t *testing.T) {
	dir := t.TempDir()
	// A memory hierarchy: a pod without limits gets no files written into
	// its cgroup there, so its directory can be removed on a plain file
	// system as on cgroupfs.
	cgroupRoot := filepath.Join(dir, "cgroup")
	if err := os.MkdirAll(filepath.Join(cgroupRoot, "memory"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cgroupRoot, "memory", "cgroup.procs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rt := &slowSandboxRuntime{fakeRuntime: newFakeRuntime(), cgroupRoot: cgroupRoot,
		entered: make(chan struct{}), release: make(chan struct{}), finished: make(chan struct{})}
	k, err := New(Config{Runtime: rt, Images: rt, RuntimeName: "fake", RootDir: dir + "/root", PodLogDir: dir + "/logs",
		ResolvConf: dir + "/none", RelistPeriod: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		CgroupRoot: cgroupRoot, CgroupParent: "/minikubelet"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- k.Run(ctx) }()
	defer func() { cancel(); <-stopped }()

	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	podCgroup := filepath.Join(cgroupRoot, "memory", translate.PodCgroupParent(k.node(), pod.UID))
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	<-rt.entered
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	// Give an agent that abandons the call the time to forget the pod.
	forgotten := func() bool { _, found := k.GetPod("default", "web"); return !found }
	for deadline := time.Now().Add(time.Second); !forgotten() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	close(rt.release)
	<-rt.finished

	eventually(t, "the pod forgotten, its sandbox and its cgroup removed", func() bool {
		sandboxes, _ := rt.count("")
		_, err := os.Stat(podCgroup)
		return forgotten() && sandboxes == 0 && os.IsNotExist(err)
	})
}
