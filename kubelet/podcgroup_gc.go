package kubelet

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// Stray pod cgroups are pod<uid> cgroups under the cgroup parent that no
// pod directory of this agent accounts for: the record collectOrphanedPodDirs
// works from is gone when the root dir was wiped or changed, or when other
// agents shared the parent with other root dirs. Like the kubelet's
// housekeeping, the agent enumerates the parent itself and removes the pod
// cgroups of pods that neither it nor the runtime knows.
const (
	// strayCgroupGrace is how old (newest mtime in its subtree, in every
	// hierarchy) a pod cgroup must be before it may go: another agent
	// sharing the parent creates a pod's cgroup before RunPodSandbox, which
	// may take up to its 2-minute timeout before the runtime lists the
	// sandbox. It matches the CNI leak grace for the same reason.
	strayCgroupGrace = 3 * time.Minute
	// maxPodCgroupsPerPass bounds one pass over the parent; the rest wait
	// for the next pass.
	maxPodCgroupsPerPass = 4096
	// maxDirsPerPodCgroup bounds the walk of one pod cgroup: a pod that
	// nests cgroups of its own (systemd, a container engine) past it is
	// treated as busy and left alone.
	maxDirsPerPodCgroup = 1024
	// cgroupListTimeout bounds the runtime listing each pass makes.
	cgroupListTimeout = 10 * time.Second
)

// podCgroupState is what a scan found of one pod<uid> cgroup, across every
// hierarchy it exists in.
type podCgroupState struct {
	// newest is the latest mtime of any of its directories: a cgroup that
	// is being set up, or gets a container cgroup, is young again.
	newest time.Time
	// busy is set when a process is in it or a child, or when that could
	// not be told (unreadable cgroup.procs, a subtree past the bound).
	busy bool
}

// pickStrayPodCgroups returns the UIDs whose pod cgroup may be removed:
// a pod the agent does not track, the runtime does not have, with no
// process in any hierarchy, untouched for at least grace. The result is
// sorted so that passes act (and log) in a stable order.
func pickStrayPodCgroups(found map[types.UID]podCgroupState, tracked, inRuntime func(types.UID) bool, now time.Time, grace time.Duration) []types.UID {
	var stray []types.UID
	for uid, state := range found {
		if tracked(uid) || inRuntime(uid) || state.busy || now.Sub(state.newest) < grace {
			continue
		}
		stray = append(stray, uid)
	}
	slices.Sort(stray)
	return stray
}

// cgroupHierarchies lists where parent may exist under root: root itself
// (cgroup v2) and each hierarchy mounted below it (cgroup v1), the same
// candidates removeCgroup removes from.
func cgroupHierarchies(root, parent string) []string {
	dirs := []string{filepath.Join(root, parent)}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(root, e.Name(), parent))
		}
	}
	return dirs
}

// scanPodCgroups finds the pod<uid> cgroups under parent in every
// hierarchy and merges what each hierarchy says about them. Pods for which
// known is true are not inspected: they are never stray, and walking each
// of their cgroups in every v1 hierarchy was most of a pass's cost.
func scanPodCgroups(root, parent string, known func(types.UID) bool) map[types.UID]podCgroupState {
	found := map[types.UID]podCgroupState{}
	for _, dir := range cgroupHierarchies(root, parent) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			uid, ok := strings.CutPrefix(e.Name(), "pod")
			if !ok || uid == "" || !e.IsDir() || known(types.UID(uid)) {
				continue
			}
			if _, seen := found[types.UID(uid)]; !seen && len(found) >= maxPodCgroupsPerPass {
				continue
			}
			here := inspectPodCgroup(filepath.Join(dir, e.Name()))
			state := found[types.UID(uid)]
			state.busy = state.busy || here.busy
			if here.newest.After(state.newest) {
				state.newest = here.newest
			}
			found[types.UID(uid)] = state
		}
	}
	return found
}

// inspectPodCgroup walks one pod cgroup in one hierarchy.
func inspectPodCgroup(dir string) podCgroupState {
	var state podCgroupState
	visited := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while we looked
		}
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if visited++; visited > maxDirsPerPodCgroup {
			return errors.New("too many nested cgroups")
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(state.newest) {
			state.newest = info.ModTime()
		}
		busy, err := cgroupHasProcesses(path)
		if err != nil {
			return err
		}
		if busy {
			state.busy = true
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		state.busy = true // what cannot be inspected is left alone
	}
	return state
}

// cgroupHasProcesses reports whether a cgroup's cgroup.procs lists any
// process. A directory without the file is not (or no longer) a cgroup, so
// nothing runs in it; a file that cannot be read counts as busy.
func cgroupHasProcesses(dir string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, "cgroup.procs"), os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	defer f.Close()
	var first [1]byte
	n, err := f.Read(first[:])
	if err != nil && !errors.Is(err, io.EOF) {
		return true, err
	}
	return n > 0, nil
}

// requestCgroupHousekeeping asks for a pass over the cgroup parent; it
// never blocks, and requests made while one is pending are one request.
func (k *Kubelet) requestCgroupHousekeeping() {
	select {
	case k.cgroupHousekeeping <- struct{}{}:
	default:
	}
}

// runCgroupHousekeeping removes stray pod cgroups whenever asked (after
// each scan for orphaned pod directories), until ctx ends.
func (k *Kubelet) runCgroupHousekeeping(ctx context.Context) {
	if k.cfg.CgroupParent == "" {
		return // the runtime places pods; there is no parent of ours to enumerate
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.cgroupHousekeeping:
			k.collectStrayPodCgroups(ctx)
		}
	}
}

// collectStrayPodCgroups is one pass: it lists the runtime's pods (every
// sandbox, whoever made it), scans the parent, and removes each stray pod
// cgroup under the lock that guards the agent's pods, so a pod the agent
// starts tracking meanwhile keeps its cgroup.
func (k *Kubelet) collectStrayPodCgroups(ctx context.Context) {
	k.mu.Lock()
	seen := k.desiredSeen
	k.mu.Unlock()
	if !seen {
		return // pods not read yet are not tracked yet
	}
	listCtx, cancel := context.WithTimeout(ctx, cgroupListTimeout)
	sandboxes, err := k.cfg.Runtime.ListPodSandbox(listCtx, nil)
	cancel()
	if err != nil {
		k.log.Warn("listing the runtime's pods to find stray pod cgroups failed; will retry", "err", err)
		return
	}
	inRuntime := make(map[types.UID]bool, len(sandboxes))
	for _, sb := range sandboxes {
		inRuntime[types.UID(sb.GetMetadata().GetUid())] = true
	}
	inRuntimeOrTracked := func(uid types.UID) bool { return inRuntime[uid] || k.tracked(uid) }
	found := scanPodCgroups(k.cfg.CgroupRoot, k.cfg.CgroupParent, inRuntimeOrTracked)
	stray := pickStrayPodCgroups(found, k.tracked, func(uid types.UID) bool { return inRuntime[uid] }, k.cfg.Now(), strayCgroupGrace)
	for _, uid := range stray {
		k.removeStrayPodCgroup(uid)
	}
}

// tracked reports whether the agent has a record of the pod.
func (k *Kubelet) tracked(uid types.UID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.pods[uid]
	return ok
}

func (k *Kubelet) removeStrayPodCgroup(uid types.UID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.pods[uid]; ok {
		return // wanted since the scan
	}
	path := translate.PodCgroupParent(k.node(), uid)
	if err := removeCgroup(k.cfg.CgroupRoot, path); err != nil {
		k.log.Warn("removing a stray pod cgroup failed; will retry", "uid", uid, "cgroup", path, "err", err)
		return
	}
	k.log.Info("removed a stray pod cgroup", "uid", uid, "cgroup", path)
}
