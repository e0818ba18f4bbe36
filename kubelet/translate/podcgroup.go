package translate

import (
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// CgroupLimits are the limits the kubelet sets on a pod's own cgroup, so
// the pod as a whole cannot use more than its containers together may.
type CgroupLimits struct {
	CPUShares   int64
	CPUQuota    int64 // microseconds per CFSPeriodMicros; 0 = unlimited
	MemoryLimit int64 // bytes; 0 = unlimited
}

// crioMonitorOverhead is room in a pod's memory limit for CRI-O's conmon,
// which CRI-O runs inside the pod's cgroup (conmon_cgroup = "pod", the only
// choice with cgroupfs). Without it a container that reaches its own limit
// exhausts the pod cgroup first and the OOM killer takes conmon too, after
// which CRI-O never learns that the container exited. (kubelet leaves this
// to a RuntimeClass's pod overhead.) conmon itself uses about 3 MiB.
const crioMonitorOverhead = 16 << 20

// runtimeMemoryOverhead is what a runtime keeps in the pod's cgroup beside
// the containers.
func runtimeMemoryOverhead(runtimeName string) int64 {
	if runtimeName == "cri-o" {
		return crioMonitorOverhead
	}
	return 0
}

// PodCgroupLimits sums the pod's app containers: CPU shares from the
// requests (a container's limit standing in for a missing request), and a
// CFS quota and a memory limit only when every container has that limit,
// the memory limit with the runtime's overhead added.
func PodCgroupLimits(node Node, pod *v1.Pod) CgroupLimits {
	var cpuRequest, cpuLimit, memLimit resource.Quantity
	allCPULimited, allMemLimited := true, true
	for _, c := range pod.Spec.Containers {
		if q, ok := c.Resources.Requests[v1.ResourceCPU]; ok {
			cpuRequest.Add(q)
		} else if q, ok := c.Resources.Limits[v1.ResourceCPU]; ok {
			cpuRequest.Add(q)
		}
		if q, ok := c.Resources.Limits[v1.ResourceCPU]; ok {
			cpuLimit.Add(q)
		} else {
			allCPULimited = false
		}
		if q, ok := c.Resources.Limits[v1.ResourceMemory]; ok {
			memLimit.Add(q)
		} else {
			allMemLimited = false
		}
	}
	limits := CgroupLimits{CPUShares: cpuShares(milliCPU(cpuRequest))}
	if len(pod.Spec.Containers) == 0 {
		return limits
	}
	if allCPULimited {
		limits.CPUQuota = cfsQuota(cpuLimit.MilliValue())
	}
	if allMemLimited && memLimit.Value() > 0 {
		limits.MemoryLimit = memLimit.Value() + runtimeMemoryOverhead(node.RuntimeName)
	}
	return limits
}

// V1Files are the cgroup v1 files that set the limits, by controller
// (hierarchy) and file name; unlimited settings are left out.
func (l CgroupLimits) V1Files() map[string]map[string]string {
	files := map[string]map[string]string{
		"cpu":    {"cpu.shares": strconv.FormatInt(l.CPUShares, 10)},
		"memory": {},
	}
	if l.CPUQuota > 0 {
		files["cpu"]["cpu.cfs_period_us"] = strconv.Itoa(CFSPeriodMicros)
		files["cpu"]["cpu.cfs_quota_us"] = strconv.FormatInt(l.CPUQuota, 10)
	}
	if l.MemoryLimit > 0 {
		files["memory"]["memory.limit_in_bytes"] = strconv.FormatInt(l.MemoryLimit, 10)
	}
	return files
}

// Union is the loosest of two sets of limits, none meaning no limit: the
// pod cgroup holds it while its containers move from one to the other, so
// that neither the containers' old limits nor their new ones exceed it
// (cgroup v1 refuses a parent CFS quota below a child's).
func (l CgroupLimits) Union(o CgroupLimits) CgroupLimits {
	loosest := func(a, b int64) int64 {
		if a <= 0 || b <= 0 {
			return 0
		}
		return max(a, b)
	}
	return CgroupLimits{CPUShares: max(l.CPUShares, o.CPUShares), CPUQuota: loosest(l.CPUQuota, o.CPUQuota), MemoryLimit: loosest(l.MemoryLimit, o.MemoryLimit)}
}
