package kubelet

import (
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func ephemeralStatus(k *Kubelet, name string) *v1.ContainerStatus {
	_, p := viewPhase(k, "web")
	if p == nil {
		return nil
	}
	for i := range p.Status.EphemeralContainerStatuses {
		if p.Status.EphemeralContainerStatuses[i].Name == name {
			return &p.Status.EphemeralContainerStatuses[i]
		}
	}
	return nil
}

// What `kubectl debug --target=app` does to a running cluster pod: the
// pod's update adds an ephemeral container, which starts in the pod's
// sandbox, in app's process namespace, beside the untouched app; exec,
// attach and logs find it; once it exits it stays exited; it goes with
// the pod.
func TestEphemeralContainerAddedToARunningPod(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "app")
	pod.Generation = 1
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	var app v1.ContainerStatus
	eventually(t, "pod Running", func() bool {
		phase, p := viewPhase(k, "web")
		if phase == v1.PodRunning && allContainersRunning(p.Status) {
			app = p.Status.ContainerStatuses[0]
			return true
		}
		return false
	})

	debugged := withEphemeral(pod.DeepCopy(), "debug", "app")
	debugged.Generation = 2
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: debugged}}})
	eventually(t, "the ephemeral container running in the pod's status", func() bool {
		cs := ephemeralStatus(k, "debug")
		return cs != nil && cs.State.Running != nil
	})
	debug := *ephemeralStatus(k, "debug")
	if debug.RestartCount != 0 || debug.Ready || debug.ContainerID == "" || debug.Image != "busybox" {
		t.Errorf("ephemeral status %+v: want restart count 0, not ready, its container ID and image", debug)
	}
	_, p := viewPhase(k, "web")
	if now := p.Status.ContainerStatuses[0]; now.ContainerID != app.ContainerID || now.RestartCount != 0 || p.Status.Phase != v1.PodRunning {
		t.Errorf("app after the ephemeral container was added: %+v, phase %s; want the same running instance", now, p.Status.Phase)
	}
	rt.mu.Lock()
	ns := rt.namespaces["debug"]
	rt.mu.Unlock()
	if appID := strings.TrimPrefix(app.ContainerID, "fake://"); ns.GetPid() != runtimeapi.NamespaceMode_TARGET || ns.GetTargetId() != appID {
		t.Errorf("ephemeral container's pid namespace %v target %q, want TARGET %q", ns.GetPid(), ns.GetTargetId(), appID)
	}

	found, err := k.LookupContainer("default", "web", "debug")
	if err != nil || !found.Running || "fake://"+found.ContainerID != debug.ContainerID || !strings.HasSuffix(found.LogPath, "/debug/0.log") {
		t.Errorf("LookupContainer(debug) = %+v, %v; want the running instance %s and its log debug/0.log", found, err, debug.ContainerID)
	}
	if !slices.Contains(found.Containers, "debug") {
		t.Errorf("the pod's containers %v lack the ephemeral one", found.Containers)
	}

	rt.exit("debug", 3)
	eventually(t, "the ephemeral container terminated with exit code 3", func() bool {
		cs := ephemeralStatus(k, "debug")
		return cs != nil && cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 3
	})
	rt.mu.Lock()
	created := rt.calls["CreateContainer"]
	rt.mu.Unlock()
	time.Sleep(300 * time.Millisecond) // many relists and syncs
	rt.mu.Lock()
	again := rt.calls["CreateContainer"]
	rt.mu.Unlock()
	if cs := ephemeralStatus(k, "debug"); again != created || cs.State.Terminated == nil || cs.RestartCount != 0 {
		t.Errorf("after it exited: %d more containers created, status %+v; want it left exited", again-created, cs)
	}

	k.SetSourcePods(SourceUpdate{Source: SourceAPI})
	eventually(t, "sandbox and every container removed", func() bool {
		s, c := rt.count("")
		return s == 0 && c == 0
	})
}
