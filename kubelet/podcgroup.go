package kubelet

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	for controller, values := range translate.PodCgroupLimits(node, pod).V1Files() {
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
