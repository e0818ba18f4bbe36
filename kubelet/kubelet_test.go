package kubelet

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func startKubelet(t *testing.T, rt *fakeRuntime) *Kubelet {
	t.Helper()
	return startKubeletWith(t, rt, nil)
}

// startKubeletWith is startKubelet with the Config changed by edit.
func startKubeletWith(t *testing.T, rt *fakeRuntime, edit func(*Config)) *Kubelet {
	t.Helper()
	k, stop := runKubelet(t, rt, edit)
	t.Cleanup(stop)
	return k
}

// runKubelet starts a Kubelet over rt, its Config changed by edit (if not
// nil), and returns it with a stop function that waits for it to end.
func runKubelet(t *testing.T, rt *fakeRuntime, edit func(*Config)) (*Kubelet, func()) {
	t.Helper()
	dir := t.TempDir()
	cfg := Config{Runtime: rt, Images: rt, RuntimeName: "fake", RootDir: dir + "/root", PodLogDir: dir + "/logs",
		ResolvConf: dir + "/none", RelistPeriod: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	if edit != nil {
		edit(&cfg)
	}
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	stopped := false
	return k, func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("kubelet did not stop within 5s of its context ending")
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func viewPhase(k *Kubelet, name string) (v1.PodPhase, *v1.Pod) {
	view, ok := k.GetPod("default", name)
	if !ok {
		return "", nil
	}
	return view.Pod.Status.Phase, view.Pod
}

func TestSyncLoopRunsPodAndRemovesItWhenDeleted(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a", "b")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod, File: "/m/web.yaml"}}})

	eventually(t, "pod Running with both containers", func() bool {
		phase, p := viewPhase(k, "web")
		return phase == v1.PodRunning && allContainersRunning(p.Status) && p.Status.PodIP == "10.88.0.9"
	})
	if rt.calls["PullImage"] != 1 {
		t.Errorf("image pulled %d times, want once (IfNotPresent)", rt.calls["PullImage"])
	}
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "sandbox and containers removed", func() bool {
		s, c := rt.count("")
		_, found := k.GetPod("default", "web")
		return s == 0 && c == 0 && !found
	})
}

func TestSyncLoopRestartsCrashedContainerAndCountsRestarts(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	rt.exit("a", 1)
	eventually(t, "restarted once", func() bool {
		_, p := viewPhase(k, "web")
		cs := p.Status.ContainerStatuses[0]
		return cs.RestartCount == 1 && cs.State.Running != nil && cs.LastTerminationState.Terminated != nil &&
			cs.LastTerminationState.Terminated.ExitCode == 1
	})
	rt.exit("a", 1)
	eventually(t, "CrashLoopBackOff after the second crash", func() bool {
		_, p := viewPhase(k, "web")
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonCrashLoopBackOff
	})
}

func TestSyncLoopNeverPolicyLeavesFailedContainer(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyNever, nil, "a")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	rt.exit("a", 2)
	eventually(t, "Failed with reason Error", func() bool {
		phase, p := viewPhase(k, "web")
		term := p.Status.ContainerStatuses[0].State.Terminated
		return phase == v1.PodFailed && term != nil && term.Reason == ReasonError && term.ExitCode == 2
	})
}

func TestSyncLoopAdoptsRunningPodsWithoutRestart(t *testing.T) {
	rt := newFakeRuntime()
	first := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	first.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(first, "web"); return phase == v1.PodRunning })
	starts := rt.calls["StartContainer"]

	second := startKubelet(t, rt) // a restarted agent, same runtime
	second.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "adopted as Running", func() bool { phase, _ := viewPhase(second, "web"); return phase == v1.PodRunning })
	time.Sleep(100 * time.Millisecond)
	if rt.calls["StartContainer"] != starts || rt.calls["RunPodSandbox"] != 1 {
		t.Fatalf("adoption restarted something: starts %d→%d, sandboxes %d", starts, rt.calls["StartContainer"], rt.calls["RunPodSandbox"])
	}
}

func TestSyncLoopRemovesOrphansOnlyAfterManifestsAreRead(t *testing.T) {
	rt := newFakeRuntime()
	first := startKubelet(t, rt)
	first.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(first, "web"); return phase == v1.PodRunning })

	second := startKubelet(t, rt)
	time.Sleep(100 * time.Millisecond) // several relists before any manifest is read
	if s, _ := rt.count(""); s != 1 {
		t.Fatalf("orphan removed before manifests were read")
	}
	second.SetSourcePods(SourceUpdate{Source: SourceFile}) // the manifest was deleted while the agent was down
	eventually(t, "orphan removed", func() bool { s, c := rt.count(""); return s == 0 && c == 0 })
}

func TestSyncLoopPullFailureShowsErrImagePullThenBackOff(t *testing.T) {
	rt := newFakeRuntime()
	rt.pullErr = errors.New("registry says no")
	k := startKubelet(t, rt)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a")}}})
	eventually(t, "ImagePullBackOff", func() bool {
		_, p := viewPhase(k, "web")
		if p == nil || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w != nil && (w.Reason == ReasonImagePullBackOff || w.Reason == ReasonErrImagePull)
	})
	time.Sleep(200 * time.Millisecond)
	if rt.calls["PullImage"] != 1 {
		t.Fatalf("pulled %d times within the 10s back-off, want 1", rt.calls["PullImage"])
	}
}

func TestLeftoverPodFilesAreRemovedOnceManifestsAreRead(t *testing.T) {
	rt := newFakeRuntime()
	dir := t.TempDir()
	leftover := dir + "/root/pods/dead-uid/volumes/kubernetes.io~empty-dir/data"
	if err := os.MkdirAll(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	logDir := dir + "/logs/default_gone_dead-uid"
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	k, err := New(Config{Runtime: rt, Images: rt, RootDir: dir + "/root", PodLogDir: dir + "/logs",
		ResolvConf: dir + "/none", RelistPeriod: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = k.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(leftover); err != nil {
		t.Fatal("pod files removed before the manifests were read")
	}
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "leftover pod dir and log dir removed", func() bool {
		_, errDir := os.Stat(dir + "/root/pods/dead-uid")
		_, errLog := os.Stat(logDir)
		return os.IsNotExist(errDir) && os.IsNotExist(errLog)
	})
}

func TestDeletionGracePeriodOverridesTheSpec(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	thirty := int64(30)
	pod.Spec.TerminationGracePeriodSeconds = &thirty
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	k.SetDeletionGracePeriod(pod.UID, 5)
	k.SetSourcePods(SourceUpdate{Source: SourceFile})
	eventually(t, "removed", func() bool { s, c := rt.count(""); return s == 0 && c == 0 })
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.stopTimeouts) != 1 || rt.stopTimeouts[0] != 5 {
		t.Fatalf("StopContainer grace periods %v, want [5] from the deletion, not the spec's 30", rt.stopTimeouts)
	}
}

// A stopped sandbox the runtime cannot remove (after a crash, say) must not
// keep the pod from running in its new sandbox.
func TestUnremovableOldSandboxDoesNotBlockThePod(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	rt.mu.Lock()
	var old string
	for id := range rt.sandboxes {
		old = id
	}
	rt.removeSandboxErr = map[string]error{old: errors.New("failed to destroy network: cached result: unexpected end of JSON input")}
	rt.mu.Unlock()
	if err := rt.StopPodSandbox(context.Background(), old); err != nil { // the sandbox dies
		t.Fatal(err)
	}
	eventually(t, "running again in a new sandbox", func() bool {
		_, p := viewPhase(k, "web")
		return p != nil && allContainersRunning(p.Status) && p.Status.ContainerStatuses[0].RestartCount == 1
	})
	// Every sync now fails to remove the old sandbox; a crash must still
	// be restarted.
	rt.exit("a", 1)
	eventually(t, "restarted despite the unremovable old sandbox", func() bool {
		_, p := viewPhase(k, "web")
		return p != nil && allContainersRunning(p.Status) && p.Status.ContainerStatuses[0].RestartCount == 2
	})
}

// A restartPolicy Never pod whose sandbox dies (its pause container
// killed, say) while its app keeps running is finished: it must not be
// left running behind a Failed status.
func TestNeverPodWhoseSandboxDiedRunsNothing(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyNever, nil, "a")}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	rt.mu.Lock()
	for _, s := range rt.sandboxes { // the sandbox dies; the container lives on
		s.State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	}
	rt.mu.Unlock()
	eventually(t, "Failed with its container stopped", func() bool {
		phase, p := viewPhase(k, "web")
		return phase == v1.PodFailed && p.Status.ContainerStatuses[0].State.Terminated != nil
	})
	if rt.calls["RunPodSandbox"] != 1 {
		t.Errorf("%d sandboxes created, want no second one for a Never pod", rt.calls["RunPodSandbox"])
	}
}
