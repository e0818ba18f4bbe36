package kubelet

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/types"
)

func resizeCondition(p *v1.Pod, t v1.PodConditionType) *v1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

// startResizable runs a one-container API pod with a 30m CPU limit on a
// node that offers 1 CPU and 1Gi.
func startResizable(t *testing.T) (*Kubelet, *fakeRuntime, *v1.Pod) {
	t.Helper()
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, func(c *Config) {
		c.Allocatable = v1.ResourceList{v1.ResourceCPU: resource.MustParse("1"), v1.ResourceMemory: resource.MustParse("1Gi")}
	})
	pod := resizedPod("20m", "35Mi")
	pod.Generation = 1
	pod.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceCPU: resource.MustParse("30m")}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	return k, rt, pod
}

// An API pod resized (pods/resize) keeps its container, which gets the
// new settings in place; its status then shows them as applied and
// allocated, the new generation observed and no resize condition left.
func TestResizeAppliesInPlace(t *testing.T) {
	k, rt, pod := startResizable(t)
	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse("25m")
	resized.Spec.Containers[0].Resources.Limits[v1.ResourceCPU] = resource.MustParse("35m")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the resize applied and reported", func() bool {
		_, p := viewPhase(k, "web")
		cs := p.Status.ContainerStatuses[0]
		return p.Status.ObservedGeneration == 2 && cs.Resources != nil && cs.Resources.Limits.Cpu().MilliValue() == 35 &&
			cs.Resources.Requests.Cpu().MilliValue() == 25 && cs.AllocatedResources.Cpu().MilliValue() == 25 &&
			resizeCondition(p, v1.PodResizeInProgress) == nil && resizeCondition(p, v1.PodResizePending) == nil
	})
	_, p := viewPhase(k, "web")
	if n := rt.callCount("CreateContainer"); n != 1 {
		t.Errorf("%d containers made, want the first one only", n)
	}
	if n := rt.callCount("UpdateContainerResources"); n != 1 {
		t.Errorf("UpdateContainerResources called %d times, want once", n)
	}
	if cs := p.Status.ContainerStatuses[0]; cs.RestartCount != 0 || cs.State.Running == nil {
		t.Errorf("container %+v, want it running, never restarted", cs)
	}
}

// A resize beyond what the node offers waits, Infeasible, and the
// container keeps what it has.
func TestResizeBeyondTheNodeIsInfeasible(t *testing.T) {
	k, rt, pod := startResizable(t)
	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse("2")
	resized.Spec.Containers[0].Resources.Limits[v1.ResourceCPU] = resource.MustParse("2")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the resize pending", func() bool {
		_, p := viewPhase(k, "web")
		c := resizeCondition(p, v1.PodResizePending)
		return p.Status.ObservedGeneration == 2 && c != nil && c.Reason == v1.PodReasonInfeasible &&
			c.Message == "Node didn't have enough capacity: cpu, requested: 2000, capacity: 1000"
	})
	time.Sleep(100 * time.Millisecond) // a few syncs
	_, p := viewPhase(k, "web")
	if cs := p.Status.ContainerStatuses[0]; cs.Resources.Limits.Cpu().MilliValue() != 30 || cs.AllocatedResources.Cpu().MilliValue() != 20 {
		t.Errorf("status resources %v, allocated %v, want the old 30m limit and 20m request", cs.Resources, cs.AllocatedResources)
	}
	if n := rt.callCount("UpdateContainerResources"); n != 0 {
		t.Errorf("UpdateContainerResources called %d times, want never", n)
	}
}

// A resize pending when the agent stops is pending still when it is back:
// the restarted agent does not grant it by reading the spec alone.
func TestPendingResizeSurvivesAnAgentRestart(t *testing.T) {
	rt := newFakeRuntime()
	root := t.TempDir()
	edit := func(c *Config) {
		c.RootDir = root
		c.Allocatable = v1.ResourceList{v1.ResourceCPU: resource.MustParse("1"), v1.ResourceMemory: resource.MustParse("1Gi")}
	}
	pod := resizedPod("20m", "35Mi")
	pod.Generation = 1
	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse("2")
	pending := func(k *Kubelet) bool {
		_, p := viewPhase(k, "web")
		c := resizeCondition(p, v1.PodResizePending)
		return p != nil && p.Status.Phase == v1.PodRunning && c != nil && c.Reason == v1.PodReasonInfeasible
	}

	k, stop := runKubelet(t, rt, edit)
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the resize pending", func() bool { return pending(k) })
	stop()

	k, stop = runKubelet(t, rt, edit)
	defer stop()
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the resize pending after a restart", func() bool { return pending(k) })
	_, p := viewPhase(k, "web")
	if cs := p.Status.ContainerStatuses[0]; cs.AllocatedResources.Cpu().MilliValue() != 20 || cs.RestartCount != 0 {
		t.Errorf("after a restart the container is allocated %v with %d restarts, want the old 20m CPU and none", cs.AllocatedResources, cs.RestartCount)
	}
	if n := rt.callCount("UpdateContainerResources") + rt.callCount("CreateContainer"); n != 1 {
		t.Errorf("%d containers made or resized, want the first one made, none resized", n)
	}
}

// A resize the runtime refuses shows in PodResizeInProgress, reason
// Error, and as one ResizeError event however often it is retried; once
// the runtime takes it, it is applied and the condition goes.
func TestResizeTheRuntimeRefusesShowsTheError(t *testing.T) {
	k, rt, pod := startResizable(t)
	rt.mu.Lock()
	rt.updateErr = errors.New("memory limit below usage")
	rt.mu.Unlock()
	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Limits[v1.ResourceCPU] = resource.MustParse("35m")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the error in PodResizeInProgress", func() bool {
		_, p := viewPhase(k, "web")
		c := resizeCondition(p, v1.PodResizeInProgress)
		return c != nil && c.Reason == v1.PodReasonError && strings.Contains(c.Message, "memory limit below usage")
	})
	eventually(t, "a few retries", func() bool { return rt.callCount("UpdateContainerResources") >= 3 })
	view, _ := k.GetPod("default", "web")
	errorEvents := 0
	for _, e := range view.Events {
		if e.Reason == EventResizeError {
			errorEvents++
		}
	}
	if errorEvents != 1 {
		t.Errorf("%d ResizeError events after %d tries, want 1", errorEvents, rt.callCount("UpdateContainerResources"))
	}
	rt.mu.Lock()
	rt.updateErr = nil
	rt.mu.Unlock()
	eventually(t, "the resize applied", func() bool {
		_, p := viewPhase(k, "web")
		cs := p.Status.ContainerStatuses[0]
		return resizeCondition(p, v1.PodResizeInProgress) == nil && cs.Resources.Limits.Cpu().MilliValue() == 35
	})
}

// A resize the node's other pods leave no room for waits, Deferred, and
// is applied as soon as one of them is gone.
func TestDeferredResizeIsAppliedOnceRoomIsFreed(t *testing.T) {
	k, rt, pod := startResizable(t)
	hog := resizedPod("900m", "10Mi")
	hog.Name, hog.UID = "hog", "uid-hog"
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}, {Pod: hog}}})
	eventually(t, "the hog running", func() bool { phase, _ := viewPhase(k, "hog"); return phase == v1.PodRunning })
	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse("200m")
	resized.Spec.Containers[0].Resources.Limits[v1.ResourceCPU] = resource.MustParse("200m")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}, {Pod: hog}}})
	eventually(t, "the resize deferred", func() bool {
		_, p := viewPhase(k, "web")
		c := resizeCondition(p, v1.PodResizePending)
		return c != nil && c.Reason == v1.PodReasonDeferred && c.Message == "Node didn't have enough resource: cpu, requested: 200, used: 900, capacity: 1000"
	})
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the resize applied once the hog is gone", func() bool {
		_, p := viewPhase(k, "web")
		return resizeCondition(p, v1.PodResizePending) == nil && p.Status.ContainerStatuses[0].Resources.Limits.Cpu().MilliValue() == 200
	})
	if n := rt.callCount("UpdateContainerResources"); n != 1 {
		t.Errorf("UpdateContainerResources called %d times, want once", n)
	}
}

// A resize whose resizePolicy restarts the container gives the pod's own
// cgroup its new limits too, before the container starts again: else the
// restarted container, whose status shows the new memory limit, would
// still be held to the old one by its pod (and cgroup v1 would refuse
// its CFS quota above the pod's).
func TestResizeByRestartGivesThePodCgroupItsNewLimits(t *testing.T) {
	cgroupRoot := filepath.Join(t.TempDir(), "cgroup")
	for _, controller := range []string{"cpu", "memory"} {
		if err := os.MkdirAll(filepath.Join(cgroupRoot, controller), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cgroupRoot, controller, "cgroup.procs"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rt := newFakeRuntime()
	k := startKubeletWith(t, rt, func(c *Config) {
		c.Allocatable = v1.ResourceList{v1.ResourceCPU: resource.MustParse("1"), v1.ResourceMemory: resource.MustParse("1Gi")}
		c.CgroupRoot, c.CgroupParent = cgroupRoot, "/minikubelet"
	})
	pod := resizedPod("20m", "35Mi")
	pod.Generation = 1
	pod.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceCPU: resource.MustParse("30m"), v1.ResourceMemory: resource.MustParse("64Mi")}
	pod.Spec.Containers[0].ResizePolicy = []v1.ContainerResizePolicy{
		{ResourceName: v1.ResourceCPU, RestartPolicy: v1.RestartContainer},
		{ResourceName: v1.ResourceMemory, RestartPolicy: v1.RestartContainer},
	}
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	podCgroup := filepath.Join("minikubelet", "pod"+string(pod.UID))
	read := func(file string) string {
		controller, name, _ := strings.Cut(file, "/")
		data, _ := os.ReadFile(filepath.Join(cgroupRoot, controller, podCgroup, name))
		return string(data)
	}
	if got := read("memory/memory.limit_in_bytes"); got != "67108864" {
		t.Fatalf("pod memory limit %q before the resize, want 67108864", got)
	}

	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Limits[v1.ResourceCPU] = resource.MustParse("60m")
	resized.Spec.Containers[0].Resources.Limits[v1.ResourceMemory] = resource.MustParse("128Mi")
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the container restarted for the resize", func() bool {
		_, p := viewPhase(k, "web")
		cs := p.Status.ContainerStatuses[0]
		return rt.callCount("CreateContainer") == 2 && cs.State.Running != nil && cs.Resources != nil &&
			cs.Resources.Limits.Memory().Value() == 128<<20
	})
	if got := read("memory/memory.limit_in_bytes"); got != "134217728" {
		t.Errorf("pod memory limit %q after the resize, want 134217728 (128Mi)", got)
	}
	if got := read("cpu/cpu.cfs_quota_us"); got != "6000" {
		t.Errorf("pod CPU quota %q after the resize, want 6000 (60m)", got)
	}
}

// A resize made while the agent is down is checked like any other when
// it is back: the restarted agent reads the allocation it kept, not the
// spec alone, and a resize beyond the node stays Infeasible.
func TestResizeWhileTheAgentIsDownIsChecked(t *testing.T) {
	rt := newFakeRuntime()
	root := t.TempDir()
	edit := func(c *Config) {
		c.RootDir = root
		c.Allocatable = v1.ResourceList{v1.ResourceCPU: resource.MustParse("1"), v1.ResourceMemory: resource.MustParse("1Gi")}
	}
	pod := resizedPod("20m", "35Mi")
	pod.Generation = 1
	resized := pod.DeepCopy()
	resized.Generation = 2
	resized.Spec.Containers[0].Resources.Requests[v1.ResourceCPU] = resource.MustParse("2")

	k, stop := runKubelet(t, rt, edit)
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	stop()

	k, stop = runKubelet(t, rt, edit)
	defer stop()
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{{Pod: resized}}})
	eventually(t, "the resize Infeasible after a restart", func() bool {
		_, p := viewPhase(k, "web")
		c := resizeCondition(p, v1.PodResizePending)
		return p != nil && p.Status.Phase == v1.PodRunning && c != nil && c.Reason == v1.PodReasonInfeasible
	})
	_, p := viewPhase(k, "web")
	if cs := p.Status.ContainerStatuses[0]; cs.AllocatedResources.Cpu().MilliValue() != 20 {
		t.Errorf("after a restart the container is allocated %v, want the old 20m CPU", cs.AllocatedResources)
	}
}

// Only an API pod keeps an allocation: a static pod is never resized in
// place (an edited manifest is a new pod), so starting one writes nothing
// beside its files, while an API pod's is checkpointed at its first sync.
func TestOnlyAnAPIPodsAllocationIsCheckpointed(t *testing.T) {
	for _, source := range []string{SourceFile, SourceAPI} {
		rt := newFakeRuntime()
		root := t.TempDir()
		k, stop := runKubelet(t, rt, func(c *Config) {
			c.RootDir = root
			c.Allocatable = v1.ResourceList{v1.ResourceCPU: resource.MustParse("1"), v1.ResourceMemory: resource.MustParse("1Gi")}
		})
		pod := resizedPod("20m", "35Mi")
		k.SetSourcePods(SourceUpdate{Source: source, Pods: []DesiredPod{{Pod: pod}}})
		eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
		_, err := os.Stat(filepath.Join(k.podDir(pod.UID), allocationFile))
		stop()
		if kept := err == nil; kept != (source == SourceAPI) {
			t.Errorf("a pod from %s: %s kept = %v (%v), want it only for an API pod", source, allocationFile, kept, err)
		}
	}
}

// A saved allocation is read only from the regular file itself, never
// through a symlink planted in its place, and not past its bound.
func TestSavedAllocationIsReadNoFollowAndBounded(t *testing.T) {
	root := t.TempDir()
	k, stop := runKubelet(t, newFakeRuntime(), func(c *Config) { c.RootDir = root })
	defer stop()
	uid := types.UID("pod-1")
	dir := k.podDir(uid)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(root, "elsewhere.json")
	if err := os.WriteFile(elsewhere, []byte(`{"app":{"requests":{"cpu":"2"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, allocationFile)
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Fatal(err)
	}
	if a := k.loadAllocation(uid); a != nil {
		t.Errorf("read through a symlink: %v", a)
	}
	os.Remove(path)
	if err := os.WriteFile(path, []byte(`{"app":{}}`+strings.Repeat(" ", maxAllocationFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	if a := k.loadAllocation(uid); a != nil {
		t.Errorf("read a file past the bound: %v", a)
	}
}
