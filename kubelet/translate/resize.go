package translate

import (
	"math"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ChangedResources names the resources whose cgroup settings differ
// between want (ContainerResources of the allocated spec) and applied (what
// the runtime says the container runs with): cpu for shares or quota,
// memory for the limit. A memory request has no cgroup setting on v1, so
// it never needs applying.
func ChangedResources(want, applied *runtimeapi.LinuxContainerResources) []v1.ResourceName {
	var changed []v1.ResourceName
	if want.GetCpuShares() != applied.GetCpuShares() || quota(want) != quota(applied) {
		changed = append(changed, v1.ResourceCPU)
	}
	if limit(want) != limit(applied) {
		changed = append(changed, v1.ResourceMemory)
	}
	return changed
}

// quota is a CFS quota with every way of saying "none" (0, -1) as 0.
func quota(r *runtimeapi.LinuxContainerResources) int64 {
	return max(r.GetCpuQuota(), 0)
}

// limit is a memory limit with every way of saying "none" as 0.
func limit(r *runtimeapi.LinuxContainerResources) int64 {
	return max(r.GetMemoryLimitInBytes(), 0)
}

// StatusResources is a running container's status.resources, as the
// kubelet reports it: the allocated requests and limits, except where
// applied (the runtime's view; nil when it gives none) puts another value
// in the cgroup, which is then told back in resource units: a resize not
// yet applied shows as not applied. Where both give the same cgroup value
// the allocated quantity stands, so 1m and 2m of CPU, both the kernel's
// floor, read as the spec says. The maps alloc lacks stay absent.
func StatusResources(alloc v1.ResourceRequirements, applied *runtimeapi.LinuxContainerResources) *v1.ResourceRequirements {
	out := alloc.DeepCopy()
	if applied == nil {
		return out
	}
	want := ContainerResources(&v1.Container{Resources: alloc})
	if out.Requests != nil && want.GetCpuShares() != applied.GetCpuShares() {
		out.Requests[v1.ResourceCPU] = *resource.NewMilliQuantity(sharesToMilliCPU(applied.GetCpuShares()), resource.DecimalSI)
	}
	if out.Limits == nil {
		return out
	}
	if quota(want) != quota(applied) {
		if q := quota(applied); q > 0 {
			out.Limits[v1.ResourceCPU] = *resource.NewMilliQuantity(quotaToMilliCPU(q, applied.GetCpuPeriod()), resource.DecimalSI)
		} else {
			delete(out.Limits, v1.ResourceCPU)
		}
	}
	if limit(want) != limit(applied) {
		if l := limit(applied); l > 0 {
			out.Limits[v1.ResourceMemory] = *resource.NewQuantity(l, resource.BinarySI)
		} else {
			delete(out.Limits, v1.ResourceMemory)
		}
	}
	return out
}

// sharesToMilliCPU inverts cpuShares, rounding up as the kubelet does, so
// that every request above the floor reads back as it was written.
func sharesToMilliCPU(shares int64) int64 {
	if shares < minCPUShares {
		return 0
	}
	return int64(math.Ceil(float64(shares*1000) / 1024))
}

// quotaToMilliCPU inverts cfsQuota for the runtime's period.
func quotaToMilliCPU(quota, period int64) int64 {
	if period <= 0 {
		period = CFSPeriodMicros
	}
	return quota * 1000 / period
}
