package kubelet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podCgroupLimits are the pod-level limits the kubelet sets on a pod's
// cgroup: CPU shares from the sum of requests, and a CFS quota and memory
// limit from the sum of limits when every container has one.
type podCgroupLimits struct {
	cpuShares   int64
	cpuQuota    int64 // microseconds per cfsPeriod; 0 = unlimited
	memoryLimit int64 // bytes; 0 = unlimited
}

const cfsPeriodMicros = 100000

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

func podLimits(pod *v1.Pod) podCgroupLimits {
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
	limits := podCgroupLimits{cpuShares: max(cpuRequest.MilliValue()*1024/1000, 2)}
	if allCPULimited && len(pod.Spec.Containers) > 0 {
		limits.cpuQuota = max(cpuLimit.MilliValue()*cfsPeriodMicros/1000, 1000)
	}
	if allMemLimited && len(pod.Spec.Containers) > 0 {
		limits.memoryLimit = memLimit.Value()
	}
	return limits
}

// ensurePodCgroup creates the pod's cgroup in the cpu and memory
// hierarchies (cgroup v1) and writes the pod-level limits, so the pod as a
// whole cannot use more than its containers together may. On cgroup v2 or
// where a hierarchy is missing, the runtime's placement is left as is.
func (k *Kubelet) ensurePodCgroup(pod *v1.Pod) error {
	parent := k.podCgroupParent(pod.UID)
	if parent == "" {
		return nil
	}
	limits := podLimits(pod)
	files := map[string]map[string]string{
		"cpu":    {"cpu.shares": strconv.FormatInt(limits.cpuShares, 10)},
		"memory": {},
	}
	if limits.cpuQuota > 0 {
		files["cpu"]["cpu.cfs_period_us"] = strconv.Itoa(cfsPeriodMicros)
		files["cpu"]["cpu.cfs_quota_us"] = strconv.FormatInt(limits.cpuQuota, 10)
	}
	if limits.memoryLimit > 0 {
		limit := limits.memoryLimit + runtimeMemoryOverhead(k.cfg.RuntimeName)
		files["memory"]["memory.limit_in_bytes"] = strconv.FormatInt(limit, 10)
	}
	for controller, values := range files {
		hierarchy := filepath.Join(k.cfg.CgroupRoot, controller)
		if _, err := os.Stat(filepath.Join(hierarchy, "cgroup.procs")); errors.Is(err, fs.ErrNotExist) {
			continue // not a cgroup v1 hierarchy here
		}
		dir := filepath.Join(hierarchy, parent)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating pod cgroup %s: %w", dir, err)
		}
		for file, value := range values {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
				return fmt.Errorf("setting %s=%s on pod cgroup %s: %w", file, value, dir, err)
			}
		}
	}
	return nil
}
