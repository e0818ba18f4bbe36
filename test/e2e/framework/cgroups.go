package framework

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// cgroupRoot is where the cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupDirs returns parent's directory in every hierarchy that has it
// (cgroup v1 has one hierarchy per controller, v2 one).
func cgroupDirs(parent string) []string {
	var dirs []string
	if info, err := os.Stat(filepath.Join(cgroupRoot, parent)); err == nil && info.IsDir() {
		dirs = append(dirs, filepath.Join(cgroupRoot, parent))
	}
	hierarchies, _ := os.ReadDir(cgroupRoot)
	for _, h := range hierarchies {
		dir := filepath.Join(cgroupRoot, h.Name(), parent)
		if info, err := os.Stat(dir); err == nil && info.IsDir() {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// podCgroups lists the pod<uid> cgroups under parent, by UID, in any
// hierarchy.
func podCgroups(parent string) map[string]bool {
	uids := map[string]bool{}
	for _, dir := range cgroupDirs(parent) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if uid, ok := strings.CutPrefix(e.Name(), "pod"); ok && e.IsDir() {
				uids[uid] = true
			}
		}
	}
	return uids
}

// removeCgroupParent removes an agent's cgroup parent once it is empty; a
// pod cgroup still in it is a leak and an error. Only the parent and its
// now-empty ancestors below the hierarchy root go.
func removeCgroupParent(parent string) error {
	if left := podCgroups(parent); len(left) > 0 {
		return fmt.Errorf("pod cgroups left under %s: %v", parent, keys(left))
	}
	var errs []error
	for _, dir := range cgroupDirs(parent) {
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing the agent's cgroup parent %s: %w", dir, err))
			continue
		}
		// Ancestors go when empty; another agent's parent may keep them.
		for d := filepath.Dir(dir); strings.Count(strings.TrimPrefix(d, cgroupRoot), "/") > 1; d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
