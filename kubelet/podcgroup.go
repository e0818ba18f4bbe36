package kubelet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// ensurePodCgroup creates the pod's cgroup in the cpu and memory
// hierarchies (cgroup v1) and writes the pod-level limits
// (translate.PodCgroupLimits). On cgroup v2 or where a hierarchy is
// missing, the runtime's placement is left as is.
func (k *Kubelet) ensurePodCgroup(pod *v1.Pod) error {
	node := k.node()
	parent := translate.PodCgroupParent(node, pod.UID)
	if parent == "" {
		return nil
	}
	return k.writePodCgroup(parent, translate.PodCgroupLimits(node, pod))
}

// loosenPodCgroup gives an existing pod cgroup the loosest of the limits
// it has and those of pod (CgroupLimits.Union), before its containers
// are resized.
func (k *Kubelet) loosenPodCgroup(pod *v1.Pod) error {
	node := k.node()
	parent := translate.PodCgroupParent(node, pod.UID)
	if parent == "" {
		return nil
	}
	current, ok, err := k.readPodCgroup(parent)
	if err != nil || !ok {
		return err
	}
	return k.writePodCgroup(parent, current.Union(translate.PodCgroupLimits(node, pod)))
}

func (k *Kubelet) writePodCgroup(parent string, limits translate.CgroupLimits) error {
	for controller, values := range limits.V1Files() {
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

// readPodCgroup reads the limits a pod cgroup has; false when it has no
// cgroup v1 cpu directory.
func (k *Kubelet) readPodCgroup(parent string) (translate.CgroupLimits, bool, error) {
	read := func(controller, file string) (int64, bool, error) {
		path := filepath.Join(k.cfg.CgroupRoot, controller, parent, file)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("reading pod cgroup: %w", err)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("reading pod cgroup %s: %w", path, err)
		}
		return v, true, nil
	}
	var l translate.CgroupLimits
	shares, ok, err := read("cpu", "cpu.shares")
	if err != nil || !ok {
		return l, false, err
	}
	quota, _, err := read("cpu", "cpu.cfs_quota_us")
	if err != nil {
		return l, false, err
	}
	memory, _, err := read("memory", "memory.limit_in_bytes")
	if err != nil {
		return l, false, err
	}
	l.CPUShares, l.CPUQuota, l.MemoryLimit = shares, max(quota, 0), memory
	if memory >= unlimitedMemory {
		l.MemoryLimit = 0
	}
	return l, true, nil
}

// unlimitedMemory: cgroup v1 shows "no limit" as the largest page
// multiple below 2^63; anything this large is no limit.
const unlimitedMemory = 1 << 62
