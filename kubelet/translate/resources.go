package translate

import (
	"math"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CFSPeriodMicros is the CFS period the kubelet sets with every quota.
const CFSPeriodMicros = 100000

// minCPUShares and minCFSQuota are the kernel's floors, which the kubelet
// uses for a container without a CPU request or with a tiny limit.
const (
	minCPUShares = 2
	minCFSQuota  = 1000
)

// maxCPUShares is the kernel's ceiling on cpu.shares, to which the
// kubelet clamps: runc refuses to create a container with more (it reads
// back the clamped value and fails), and the kernel would clamp a pod
// cgroup's anyway.
const maxCPUShares = 262144

// ContainerResources maps requests and limits the way the kubelet does on
// cgroup v1: CPU shares from the request (the limit when there is no
// request), a CFS quota from the limit, and the memory limit.
func ContainerResources(c *v1.Container) *runtimeapi.LinuxContainerResources {
	res := &runtimeapi.LinuxContainerResources{CpuShares: minCPUShares}
	cpuRequest, hasRequest := c.Resources.Requests[v1.ResourceCPU]
	cpuLimit, hasLimit := c.Resources.Limits[v1.ResourceCPU]
	if !hasRequest && hasLimit {
		cpuRequest, hasRequest = cpuLimit, true
	}
	if hasRequest {
		res.CpuShares = cpuShares(milliCPU(cpuRequest))
	}
	if hasLimit {
		res.CpuPeriod = CFSPeriodMicros
		res.CpuQuota = cfsQuota(cpuLimit.MilliValue())
	}
	if mem, ok := c.Resources.Limits[v1.ResourceMemory]; ok {
		res.MemoryLimitInBytes = mem.Value()
	}
	return res
}

// cpuShares gives 1024 shares per CPU, between the kernel's floor and
// ceiling.
func cpuShares(milliCPU int64) int64 {
	if milliCPU >= maxCPUShares*1000/1024 { // also keeps the product below from overflowing
		return maxCPUShares
	}
	return max(milliCPU*1024/1000, minCPUShares)
}

// milliCPU is q in millicores, saturated at math.MaxInt64:
// Quantity.MilliValue wraps around past 9.2e15 CPUs (the API accepts
// more), which would turn a huge request into a negative or tiny one.
func milliCPU(q resource.Quantity) int64 {
	if q.Cmp(*resource.NewMilliQuantity(math.MaxInt64, resource.DecimalSI)) >= 0 {
		return math.MaxInt64
	}
	return q.MilliValue()
}

// cfsQuota is a CPU limit as microseconds per CFSPeriodMicros.
func cfsQuota(milliCPU int64) int64 { return max(milliCPU*CFSPeriodMicros/1000, minCFSQuota) }
