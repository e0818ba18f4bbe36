package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// A running container of a resized pod keeps running and gets its new
// cgroup settings in place, unless its resizePolicy asks for a restart
// for a resource whose setting changes.
func TestPlanResize(t *testing.T) {
	original := func() *v1.Pod {
		pod := testPod(v1.RestartPolicyAlways, nil, "a")
		pod.Spec.Containers[0].Resources = v1.ResourceRequirements{
			Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse("20m"), v1.ResourceMemory: resource.MustParse("35Mi")},
			Limits:   v1.ResourceList{v1.ResourceCPU: resource.MustParse("30m"), v1.ResourceMemory: resource.MustParse("45Mi")},
		}
		return pod
	}
	resize := func(cpuLimit, memLimit string, policies ...v1.ContainerResizePolicy) *v1.Pod {
		pod := original()
		pod.Spec.Containers[0].Resources.Limits = v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpuLimit), v1.ResourceMemory: resource.MustParse(memLimit)}
		pod.Spec.Containers[0].ResizePolicy = policies
		return pod
	}
	restartCPU := v1.ContainerResizePolicy{ResourceName: v1.ResourceCPU, RestartPolicy: v1.RestartContainer}
	made := func(reported bool) observedContainer {
		spec := &original().Spec.Containers[0]
		c := ctr("c1", "s1", "a", running, 0, 0)
		c.Hash, c.SpecHash = translate.ContainerHash(spec), translate.ContainerSpecHash(spec)
		if reported {
			c.Resources = translate.ContainerResources(spec)
		}
		return c
	}
	oldAgents := made(true)
	oldAgents.SpecHash = "" // made before the agent recorded the spec hash
	tests := []struct {
		name                  string
		pod                   *v1.Pod
		c                     observedContainer
		wantResize, wantKill  bool
		wantStartCount        int
		wantResizing, blind   bool
		wantResizedMemLimitMi int64
	}{
		{name: "unchanged", pod: original(), c: made(true)},
		{name: "in place", pod: resize("35m", "50Mi"), c: made(true), wantResize: true, wantResizing: true, wantResizedMemLimitMi: 50},
		{name: "memory in place, CPU's policy restarts", pod: resize("30m", "50Mi", restartCPU), c: made(true), wantResize: true, wantResizing: true, wantResizedMemLimitMi: 50},
		{name: "CPU restarts", pod: resize("35m", "50Mi", restartCPU), c: made(true), wantKill: true, wantStartCount: 1, wantResizing: true},
		{name: "a runtime that does not tell, unchanged", pod: original(), c: made(false)},
		{name: "a runtime that does not tell, resized", pod: resize("35m", "50Mi", restartCPU), c: made(false), wantResize: true, blind: true, wantResizedMemLimitMi: 50},
		{name: "an older agent's container is judged by its whole spec", pod: resize("35m", "50Mi"), c: oldAgents, wantKill: true, wantStartCount: 1},
	}
	for _, tt := range tests {
		a := plan(tt.pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{tt.c}, 0)
		if got := len(a.ContainersToResize) == 1; got != tt.wantResize {
			t.Errorf("%s: resizes %+v, want one: %v", tt.name, a.ContainersToResize, tt.wantResize)
		} else if got {
			r := a.ContainersToResize[0]
			if r.ID != "c1" || r.Blind != tt.blind || r.Resources.GetMemoryLimitInBytes() != tt.wantResizedMemLimitMi<<20 {
				t.Errorf("%s: resize %+v, want c1 to a %dMi limit, blind %v", tt.name, r, tt.wantResizedMemLimitMi, tt.blind)
			}
		}
		if got := len(a.ContainersToKill) == 1; got != tt.wantKill {
			t.Errorf("%s: kills %+v, want one: %v", tt.name, a.ContainersToKill, tt.wantKill)
		}
		if tt.wantKill && (len(a.ContainersToStart) != 1 || a.ContainersToStart[0].RestartCount != tt.wantStartCount) {
			t.Errorf("%s: starts %+v, want a with restart count %d", tt.name, a.ContainersToStart, tt.wantStartCount)
		}
		if !tt.wantKill && len(a.ContainersToStart) != 0 {
			t.Errorf("%s: starts %+v, want none", tt.name, a.ContainersToStart)
		}
		if a.Resizing != tt.wantResizing {
			t.Errorf("%s: resizing %v, want %v", tt.name, a.Resizing, tt.wantResizing)
		}
	}
}

// A running sidecar is resized in place as an app container is.
func TestPlanResizeSidecar(t *testing.T) {
	pod := testPod(v1.RestartPolicyAlways, []string{"side"}, "a")
	always := v1.ContainerRestartPolicyAlways
	pod.Spec.InitContainers[0].RestartPolicy = &always
	side := ctr("s-1", "s1", "side", running, 0, 0)
	side.Type = translate.ContainerTypeInit
	side.SpecHash = translate.ContainerSpecHash(&pod.Spec.InitContainers[0])
	side.Resources = &runtimeapi.LinuxContainerResources{CpuShares: 2}
	app := ctr("a-1", "s1", "a", running, 0, 0)
	app.SpecHash, app.Resources = translate.ContainerSpecHash(&pod.Spec.Containers[0]), &runtimeapi.LinuxContainerResources{CpuShares: 2}
	pod.Spec.InitContainers[0].Resources.Limits = v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")}
	a := plan(pod, []observedSandbox{readySandbox("s1", 0)}, []observedContainer{side, app}, 0)
	if len(a.ContainersToResize) != 1 || a.ContainersToResize[0].ID != "s-1" || len(a.ContainersToKill)+len(a.InitsToStart)+len(a.ContainersToStart) != 0 {
		t.Errorf("plan %+v, want the sidecar resized in place and nothing else", a)
	}
}
