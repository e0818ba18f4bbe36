package translate

import (
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func requirements(requests, limits map[v1.ResourceName]string) v1.ResourceRequirements {
	list := func(m map[v1.ResourceName]string) v1.ResourceList {
		if m == nil {
			return nil
		}
		l := v1.ResourceList{}
		for name, q := range m {
			l[name] = resource.MustParse(q)
		}
		return l
	}
	return v1.ResourceRequirements{Requests: list(requests), Limits: list(limits)}
}

// A resized container's status tells what its cgroup holds: the resize
// shows as done only once the runtime applied it.
func TestStatusResources(t *testing.T) {
	cpu, mem := v1.ResourceCPU, v1.ResourceMemory
	tests := []struct {
		name    string
		alloc   v1.ResourceRequirements
		applied *runtimeapi.LinuxContainerResources
		want    v1.ResourceRequirements
	}{
		{"applied as allocated",
			requirements(map[v1.ResourceName]string{cpu: "25m", mem: "40Mi"}, map[v1.ResourceName]string{cpu: "35m", mem: "50Mi"}),
			&runtimeapi.LinuxContainerResources{CpuShares: 25, CpuPeriod: 100000, CpuQuota: 3500, MemoryLimitInBytes: 50 << 20},
			requirements(map[v1.ResourceName]string{cpu: "25m", mem: "40Mi"}, map[v1.ResourceName]string{cpu: "35m", mem: "50Mi"})},
		{"equivalents at the kernel's floors read as allocated",
			requirements(map[v1.ResourceName]string{cpu: "1m"}, map[v1.ResourceName]string{cpu: "5m"}),
			&runtimeapi.LinuxContainerResources{CpuShares: 2, CpuPeriod: 100000, CpuQuota: 1000},
			requirements(map[v1.ResourceName]string{cpu: "1m"}, map[v1.ResourceName]string{cpu: "5m"})},
		{"a request not applied yet reads as applied",
			requirements(map[v1.ResourceName]string{cpu: "25m", mem: "30Mi"}, nil),
			&runtimeapi.LinuxContainerResources{CpuShares: 20},
			requirements(map[v1.ResourceName]string{cpu: "20m", mem: "30Mi"}, nil)},
		{"limits not applied yet",
			requirements(map[v1.ResourceName]string{cpu: "25m"}, map[v1.ResourceName]string{cpu: "35m", mem: "50Mi"}),
			&runtimeapi.LinuxContainerResources{CpuShares: 25, MemoryLimitInBytes: 45 << 20},
			requirements(map[v1.ResourceName]string{cpu: "25m"}, map[v1.ResourceName]string{mem: "45Mi"})},
		{"a runtime that does not tell",
			requirements(map[v1.ResourceName]string{cpu: "25m"}, nil), nil,
			requirements(map[v1.ResourceName]string{cpu: "25m"}, nil)},
		{"best effort", v1.ResourceRequirements{}, &runtimeapi.LinuxContainerResources{CpuShares: 2}, v1.ResourceRequirements{}},
	}
	for _, tt := range tests {
		got := StatusResources(tt.alloc, tt.applied)
		if !equality.Semantic.DeepEqual(*got, tt.want) {
			t.Errorf("%s: status resources %+v, want %+v", tt.name, *got, tt.want)
		}
	}
}

func TestChangedResources(t *testing.T) {
	base := &runtimeapi.LinuxContainerResources{CpuShares: 20, CpuPeriod: 100000, CpuQuota: 3000, MemoryLimitInBytes: 45 << 20}
	tests := []struct {
		name    string
		applied *runtimeapi.LinuxContainerResources
		want    []v1.ResourceName
	}{
		{"same", &runtimeapi.LinuxContainerResources{CpuShares: 20, CpuPeriod: 100000, CpuQuota: 3000, MemoryLimitInBytes: 45 << 20}, nil},
		{"shares", &runtimeapi.LinuxContainerResources{CpuShares: 25, CpuPeriod: 100000, CpuQuota: 3000, MemoryLimitInBytes: 45 << 20}, []v1.ResourceName{v1.ResourceCPU}},
		{"quota", &runtimeapi.LinuxContainerResources{CpuShares: 20, CpuQuota: -1, MemoryLimitInBytes: 45 << 20}, []v1.ResourceName{v1.ResourceCPU}},
		{"memory", &runtimeapi.LinuxContainerResources{CpuShares: 20, CpuPeriod: 100000, CpuQuota: 3000}, []v1.ResourceName{v1.ResourceMemory}},
	}
	for _, tt := range tests {
		if got := ChangedResources(base, tt.applied); !slices.Equal(got, tt.want) {
			t.Errorf("%s: changed %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A resize changes only resources: the spec hash, which decides whether a
// running container was made from another spec, stays.
func TestContainerSpecHashLeavesResourcesOut(t *testing.T) {
	resized := goldenContainer()
	resized.Resources.Limits[v1.ResourceMemory] = resource.MustParse("128Mi")
	if ContainerSpecHash(resized) != ContainerSpecHash(goldenContainer()) {
		t.Error("a resize changed the spec hash: the container would be restarted")
	}
	other := goldenContainer()
	other.Image = "registry.example/app:2"
	if ContainerSpecHash(other) == ContainerSpecHash(goldenContainer()) {
		t.Error("a new image left the spec hash as it was: the container would be kept")
	}
}

func TestCgroupLimitsUnion(t *testing.T) {
	tests := []struct{ a, b, want CgroupLimits }{
		{CgroupLimits{CPUShares: 40, CPUQuota: 6000, MemoryLimit: 100}, CgroupLimits{CPUShares: 30, CPUQuota: 7000, MemoryLimit: 90},
			CgroupLimits{CPUShares: 40, CPUQuota: 7000, MemoryLimit: 100}},
		{CgroupLimits{CPUShares: 2, CPUQuota: 0, MemoryLimit: 100}, CgroupLimits{CPUShares: 30, CPUQuota: 7000, MemoryLimit: 0},
			CgroupLimits{CPUShares: 30}},
	}
	for _, tt := range tests {
		if got := tt.a.Union(tt.b); got != tt.want {
			t.Errorf("%+v ∪ %+v = %+v, want %+v", tt.a, tt.b, got, tt.want)
		}
	}
}
