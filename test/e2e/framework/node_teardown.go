package framework

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// cniResultsDir is libcni's result cache; containerd 1.6 cannot move it,
// so a node's containerd writes there too.
const cniResultsDir = "/var/lib/cni/results"

// teardown removes everything the node's containerd made, whatever state a
// failed test left it in. It runs after the agents' teardowns.
func (n *Node) teardown(ctx context.Context) error {
	var errs []error
	if !n.ContainerdRunning() {
		if err := n.startContainerd(); err != nil {
			errs = append(errs, err)
		}
	}
	if n.ContainerdRunning() {
		// The whole runtime is the test's: every sandbox in it goes.
		if _, stderr, err := n.crictl("rmp", "--force", "--all"); err != nil {
			errs = append(errs, fmt.Errorf("removing the node's pods: %v: %s", err, stderr))
		}
	}
	if err := n.stopContainerd(syscall.SIGTERM, 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	if shims, err := n.killShims(); err != nil {
		errs = append(errs, err)
	} else if shims > 0 {
		n.t.Logf("node %s: killed %d shim(s) containerd left behind", n.Netns.Name, shims)
	}
	errs = append(errs, unmountUnder(n.Dir))
	if entries, err := n.removeCacheEntries(); err != nil {
		errs = append(errs, err)
	} else if entries > 0 {
		n.t.Logf("node %s: removed %d libcni cache entries of its sandboxes (cni-loopback ones are containerd's own leak after a crash)", n.Netns.Name, entries)
	}
	return errors.Join(errs...)
}

// killShims SIGKILLs the runc shims of the node's containerd that outlived
// it (containerd 1.6 leaves the shim of a sandbox it recovered half-made)
// and removes their sockets. They are found by the node's unique socket
// path on their command line and killed by PID.
func (n *Node) killShims() (int, error) {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	marker := "-address\x00" + n.Socket + "\x00"
	killed := 0
	for _, proc := range procs {
		cmdline, err := os.ReadFile(filepath.Join("/proc", proc.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), marker) {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(proc.Name(), "%d", &pid); err != nil {
			continue
		}
		sockets := listeningSockets(pid)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return killed, fmt.Errorf("killing shim %d: %w", pid, err)
		}
		killed++
		for _, socket := range sockets {
			_ = os.Remove(socket)
		}
	}
	return killed, nil
}

// listeningSockets returns the paths of the unix sockets pid has open, read
// from its descriptors and its network namespace's socket table.
func listeningSockets(pid int) []string {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	inodes := map[string]bool{}
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	table, err := os.Open(fmt.Sprintf("/proc/%d/net/unix", pid))
	if err != nil {
		return nil
	}
	defer table.Close()
	var paths []string
	scanner := bufio.NewScanner(table)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 8 && inodes[fields[6]] && strings.HasPrefix(fields[7], "/") {
			paths = append(paths, fields[7])
		}
	}
	return paths
}

// unmountUnder lazily unmounts every mount point below dir, deepest first
// (overlay rootfs, shm, network namespace bind mounts).
func unmountUnder(dir string) error {
	points, err := MountsUnder(dir)
	if err != nil {
		return err
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, point := range points {
		if err := syscall.Unmount(point, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", point, err))
		}
	}
	return errors.Join(errs...)
}

// MountsUnder lists the mount points below dir.
func MountsUnder(dir string) ([]string, error) {
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("reading the mount table: %w", err)
	}
	var points []string
	for _, line := range strings.Split(string(mounts), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	return points, nil
}

// removeCacheEntries deletes libcni cache entries whose network namespace
// was one of this node's (containerd keeps them under its state dir).
func (n *Node) removeCacheEntries() (int, error) {
	entries, err := os.ReadDir(cniResultsDir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, entry := range entries {
		path := filepath.Join(cniResultsDir, entry.Name())
		if owned, err := n.ownsCacheEntry(path); err != nil || !owned {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// CacheEntries returns the libcni cache entries of network minikubelet
// that belong to this node's sandboxes.
func (n *Node) CacheEntries() ([]string, error) {
	entries, err := os.ReadDir(cniResultsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ours []string
	for _, entry := range entries {
		path := filepath.Join(cniResultsDir, entry.Name())
		if owned, err := n.ownsCacheEntry(path); err == nil && owned && strings.HasPrefix(entry.Name(), "minikubelet-") {
			ours = append(ours, entry.Name())
		}
	}
	return ours, nil
}

func (n *Node) ownsCacheEntry(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var entry struct {
		NetNS string `json:"netns"`
	}
	if err := json.Unmarshal(data, &entry); err != nil {
		return false, nil // not a libcni entry
	}
	return strings.HasPrefix(entry.NetNS, n.Dir+"/"), nil
}
