package kubelet

import (
	"errors"
	"fmt"
	"github.com/minikubelet/minikubelet/kubelet/translate"
	"github.com/minikubelet/minikubelet/kubelet/volume"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/types"
)

// removePodResources deletes what the runtime leaves behind a removed pod:
// its subPath bind mounts, its directory (emptyDir volumes, /etc/hosts),
// its log directory and its pod-level cgroup. It is idempotent.
func (k *Kubelet) removePodResources(uid types.UID) error {
	// The bind mounts go first, and a failure stops everything: removing
	// the pod directory with a mount still in it would delete what the
	// mount shows, which for a hostPath is the host's files.
	if err := removeSubPathMounts(k.podDir(uid)); err != nil {
		return fmt.Errorf("removing subPath mounts: %w", err)
	}
	for _, t := range volume.Supported() {
		if err := t.TearDown(k.podDir(uid)); err != nil {
			return fmt.Errorf("tearing down %s volumes: %w", t.Name(), err)
		}
	}
	k.forgetPodObjects(uid)
	var errs []error
	logDirs, _ := filepath.Glob(filepath.Join(k.cfg.PodLogDir, "*_"+string(uid)))
	for _, dir := range logDirs {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("removing pod log directory: %w", err))
		}
	}
	if parent := translate.PodCgroupParent(k.node(), uid); parent != "" {
		if err := k.removePodCgroup(uid, parent); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// The pod directory goes last: it marks the log directory and cgroup
	// as this agent's, so an interrupted cleanup is finished later by
	// collectOrphanedPodDirs.
	if err := os.RemoveAll(k.podDir(uid)); err != nil {
		return fmt.Errorf("removing pod directory: %w", err)
	}
	return nil
}

// collectOrphanedPodDirs finishes cleanups cut short, e.g. by the agent
// being killed between removing a pod's sandbox and its files: a pod
// directory whose UID is neither wanted nor in the runtime is removed with
// its logs and cgroup. It does nothing, and says so, until the manifests
// have been read.
func (k *Kubelet) collectOrphanedPodDirs() bool {
	k.mu.Lock()
	if !k.desiredSeen {
		k.mu.Unlock()
		return false
	}
	entries, _ := os.ReadDir(filepath.Join(k.cfg.RootDir, "pods"))
	var orphans []types.UID
	for _, e := range entries {
		if _, tracked := k.pods[types.UID(e.Name())]; !tracked && e.IsDir() {
			orphans = append(orphans, types.UID(e.Name()))
		}
	}
	k.mu.Unlock()
	for _, uid := range orphans {
		if err := k.removePodResources(uid); err != nil {
			k.log.Warn("removing files of a pod that is gone failed", "uid", uid, "err", err)
			continue
		}
		k.log.Info("removed files of a pod that is gone", "uid", uid)
	}
	return true
}

// removeCgroup removes a cgroup directory, deepest first, from every
// hierarchy mounted under root (cgroup v1 has one per controller; v2 one).
// The runtime removes containers' cgroups but not the parent we named.
func removeCgroup(root, path string) error {
	var errs []error
	for _, dir := range cgroupCandidates(root, path) {
		if err := removeCgroupDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cgroupCandidates lists where path may be: under root itself (v2) and
// under each hierarchy mounted there (v1).
func cgroupCandidates(root, path string) []string {
	candidates := []string{filepath.Join(root, path)}
	hierarchies, _ := os.ReadDir(root)
	for _, h := range hierarchies {
		if h.IsDir() {
			candidates = append(candidates, filepath.Join(root, h.Name(), path))
		}
	}
	return candidates
}

func removeCgroupDir(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing cgroup %s: %w", d, err)
		}
	}
	return nil
}
