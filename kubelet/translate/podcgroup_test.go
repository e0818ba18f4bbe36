package translate

import (
	"maps"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// resources builds requirements from "cpu"/"memory" request and limit
// strings; "" leaves one out.
func resources(cpuRequest, cpuLimit, memRequest, memLimit string) v1.ResourceRequirements {
	r := v1.ResourceRequirements{Requests: v1.ResourceList{}, Limits: v1.ResourceList{}}
	set := func(list v1.ResourceList, name v1.ResourceName, value string) {
		if value != "" {
			list[name] = resource.MustParse(value)
		}
	}
	set(r.Requests, v1.ResourceCPU, cpuRequest)
	set(r.Limits, v1.ResourceCPU, cpuLimit)
	set(r.Requests, v1.ResourceMemory, memRequest)
	set(r.Limits, v1.ResourceMemory, memLimit)
	return r
}

func TestContainerResources(t *testing.T) {
	tests := []struct {
		name string
		res  v1.ResourceRequirements
		want *runtimeapi.LinuxContainerResources
	}{
		{name: "nothing: the kernel's minimum shares", want: &runtimeapi.LinuxContainerResources{CpuShares: 2}},
		{name: "a request gives shares, 1024 per CPU", res: resources("500m", "", "", ""),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 512}},
		{name: "a limit alone also stands in for the request", res: resources("", "2", "", ""),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 2048, CpuPeriod: 100000, CpuQuota: 200000}},
		{name: "request and limit", res: resources("250m", "1500m", "", ""),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 256, CpuPeriod: 100000, CpuQuota: 150000}},
		{name: "a tiny request and limit get the floors", res: resources("1m", "1m", "", ""),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 2, CpuPeriod: 100000, CpuQuota: 1000}},
		{name: "the memory limit; a memory request sets nothing", res: resources("", "", "32Mi", "64Mi"),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 2, MemoryLimitInBytes: 64 << 20}},
		// runc refuses more shares than the kernel takes; the kubelet clamps.
		{name: "a request past 256 CPUs gets the kernel's most shares", res: resources("300", "", "", ""),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 262144}},
		{name: "a request past 2^63 millicores does not wrap around to few shares", res: resources("9223372036854776", "", "", ""),
			want: &runtimeapi.LinuxContainerResources{CpuShares: 262144}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProto(t, "resources", ContainerResources(&v1.Container{Resources: tt.res}), tt.want)
		})
	}
}

func TestPodCgroupLimits(t *testing.T) {
	tests := []struct {
		name       string
		runtime    string
		init       []v1.ResourceRequirements
		containers []v1.ResourceRequirements
		want       CgroupLimits
	}{
		{name: "no containers", want: CgroupLimits{CPUShares: 2}},
		{name: "nothing set: minimum shares, unlimited", containers: []v1.ResourceRequirements{{}, {}},
			want: CgroupLimits{CPUShares: 2}},
		{name: "requests are summed into shares", containers: []v1.ResourceRequirements{resources("250m", "", "", ""), resources("750m", "", "", "")},
			want: CgroupLimits{CPUShares: 1024}},
		{name: "a container's limit stands in for its missing request", containers: []v1.ResourceRequirements{resources("", "500m", "", ""), resources("500m", "", "", "")},
			want: CgroupLimits{CPUShares: 1024}},
		{name: "every container CPU-limited: the quota is the sum", containers: []v1.ResourceRequirements{resources("", "500m", "", ""), resources("100m", "1", "", "")},
			want: CgroupLimits{CPUShares: 614, CPUQuota: 150000}},
		{name: "one container without a CPU limit leaves the pod unlimited", containers: []v1.ResourceRequirements{resources("", "500m", "", ""), resources("100m", "", "", "")},
			want: CgroupLimits{CPUShares: 614}},
		{name: "every container memory-limited: the limit is the sum", containers: []v1.ResourceRequirements{resources("", "", "", "64Mi"), resources("", "", "", "32Mi")},
			want: CgroupLimits{CPUShares: 2, MemoryLimit: 96 << 20}},
		{name: "one container without a memory limit leaves the pod unlimited", containers: []v1.ResourceRequirements{resources("", "", "", "64Mi"), resources("", "", "1Gi", "")},
			want: CgroupLimits{CPUShares: 2}},
		{name: "init containers do not count", init: []v1.ResourceRequirements{resources("4", "4", "", "")}, containers: []v1.ResourceRequirements{resources("", "1", "", "64Mi")},
			want: CgroupLimits{CPUShares: 1024, CPUQuota: 100000, MemoryLimit: 64 << 20}},
		{name: "cri-o: room for conmon in a memory limit", runtime: "cri-o", containers: []v1.ResourceRequirements{resources("", "", "", "64Mi")},
			want: CgroupLimits{CPUShares: 2, MemoryLimit: 64<<20 + 16<<20}},
		{name: "cri-o: an unlimited pod stays unlimited", runtime: "cri-o", containers: []v1.ResourceRequirements{resources("", "", "", "64Mi"), {}},
			want: CgroupLimits{CPUShares: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.Containers = nil
			for _, r := range tt.init {
				pod.Spec.InitContainers = append(pod.Spec.InitContainers, v1.Container{Resources: r})
			}
			for _, r := range tt.containers {
				pod.Spec.Containers = append(pod.Spec.Containers, v1.Container{Resources: r})
			}
			node := testNode()
			if tt.runtime != "" {
				node.RuntimeName = tt.runtime
			}
			if got := PodCgroupLimits(node, pod); got != tt.want {
				t.Errorf("PodCgroupLimits = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCgroupLimitsV1Files(t *testing.T) {
	tests := []struct {
		limits CgroupLimits
		want   map[string]map[string]string
	}{
		{CgroupLimits{CPUShares: 2}, map[string]map[string]string{"cpu": {"cpu.shares": "2"}, "memory": {}}},
		{CgroupLimits{CPUShares: 1024, CPUQuota: 150000, MemoryLimit: 1 << 30}, map[string]map[string]string{
			"cpu":    {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "150000"},
			"memory": {"memory.limit_in_bytes": "1073741824"},
		}},
	}
	for _, tt := range tests {
		got := tt.limits.V1Files()
		if len(got) != len(tt.want) || !maps.Equal(got["cpu"], tt.want["cpu"]) || !maps.Equal(got["memory"], tt.want["memory"]) {
			t.Errorf("%+v: files %v, want %v", tt.limits, got, tt.want)
		}
	}
}
