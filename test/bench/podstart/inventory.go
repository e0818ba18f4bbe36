package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// allocationsDir is where the runtime's host-local IPAM keeps one file per
// address, named by the IP and holding the owning sandbox's ID.
func allocationsDir(env map[string]string) string {
	dataDir, network := env["CNI_DATA_DIR"], env["CNI_NETWORK"]
	if dataDir == "" {
		dataDir = "/var/lib/cni/networks"
	}
	if network == "" {
		network = "minikubelet"
	}
	return filepath.Join(dataDir, network)
}

// readAllocations maps each host-local address to its owner. A missing
// directory is an empty map: no pod of that network ran yet.
func readAllocations(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing host-local addresses in %s: %w", dir, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if net.ParseIP(e.Name()) == nil {
			continue // lock, last_reserved_ip.*
		}
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // released while listed
		}
		owner, _, _ := strings.Cut(string(content), "\n")
		out[e.Name()] = strings.TrimSpace(owner)
	}
	return out, nil
}

// leakedAddresses lists the addresses held for sandboxes the runtime does
// not have, except those already leaked before the bench started (another
// user's, not the bench's to answer for).
func leakedAddresses(allocations map[string]string, live, before map[string]bool) []string {
	var leaks []string
	for ip, owner := range allocations {
		if !live[owner] && !before[ip] {
			leaks = append(leaks, fmt.Sprintf("address %s is held for sandbox %.13s, which the runtime does not have", ip, owner))
		}
	}
	slices.Sort(leaks)
	return leaks
}

// liveSandboxes lists every sandbox of the runtime, anyone's, by ID, and
// counts those of the bench: the floor's of this run and the agent's node.
func (b *bench) liveSandboxes(ctx context.Context, node string) (live map[string]bool, ours int, err error) {
	sbs, err := b.rt.ListPodSandbox(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("listing the runtime's sandboxes: %w", err)
	}
	live = map[string]bool{}
	for _, sb := range sbs {
		live[sb.GetId()] = true
		if l := sb.GetLabels(); l[floorLabel] == b.runID || (node != "" && l[translate.NodeLabel] == node) {
			ours++
		}
	}
	return live, ours, nil
}

// leakBaseline records the addresses already leaked before the bench ran.
func (b *bench) leakBaseline(ctx context.Context) (map[string]bool, error) {
	live, _, err := b.liveSandboxes(ctx, "")
	if err != nil {
		return nil, err
	}
	allocs, err := readAllocations(allocationsDir(b.env))
	if err != nil {
		return nil, err
	}
	before := map[string]bool{}
	for ip, owner := range allocs {
		if !live[owner] {
			before[ip] = true
		}
	}
	return before, nil
}

// inventory checks, after a pod count's last round, that no sandbox of the
// bench is left and every host-local address belongs to a live sandbox.
// The runtime releases addresses as it stops sandboxes, so a check that
// fails is retried for a few seconds before it counts.
func (b *bench) inventory(ctx context.Context, node string) inventoryResult {
	var res inventoryResult
	deadline := time.Now().Add(15 * time.Second)
	for {
		res = b.inventoryOnce(ctx, node)
		if len(res.problems) == 0 || time.Now().After(deadline) || sleep(ctx, time.Second) != nil {
			return res
		}
	}
}

func (b *bench) inventoryOnce(ctx context.Context, node string) inventoryResult {
	dir := allocationsDir(b.env)
	res := inventoryResult{checked: "host-local addresses in " + dir}
	live, ours, err := b.liveSandboxes(ctx, node)
	if err != nil {
		res.problems = append(res.problems, err.Error())
		return res
	}
	res.sandboxes = ours
	if ours > 0 {
		res.problems = append(res.problems, fmt.Sprintf("%d sandboxes of the bench are left", ours))
	}
	allocs, err := readAllocations(dir)
	if err != nil {
		res.problems = append(res.problems, err.Error())
		return res
	}
	res.addresses = len(allocs)
	res.problems = append(res.problems, leakedAddresses(allocs, live, b.leaksBefore)...)
	return res
}

// sweep stops and removes what is left of the sandboxes matching selector,
// directly, after a failed round: the run must not leak what it measured.
func (b *bench) sweep(ctx context.Context, selector map[string]string) int {
	sbs, err := b.rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{LabelSelector: selector})
	if err != nil {
		progress("WARNING: cannot list sandboxes %v to clean up: %v", selector, err)
		return 0
	}
	for _, sb := range sbs {
		_ = b.rt.StopPodSandbox(ctx, sb.GetId())
		if err := b.rt.RemovePodSandbox(ctx, sb.GetId()); err != nil {
			progress("WARNING: cannot remove sandbox %.13s: %v", sb.GetId(), err)
		}
	}
	return len(sbs)
}

// removeCgroup removes a cgroup directory and its now-empty children in
// every hierarchy (cgroup v1 has one per controller, v2 one).
func removeCgroup(path string) {
	dirs := []string{filepath.Join("/sys/fs/cgroup", path)}
	hierarchies, _ := os.ReadDir("/sys/fs/cgroup")
	for _, h := range hierarchies {
		dirs = append(dirs, filepath.Join("/sys/fs/cgroup", h.Name(), path))
	}
	for _, dir := range dirs {
		var subdirs []string
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				subdirs = append(subdirs, p)
			}
			return nil
		})
		for i := len(subdirs) - 1; i >= 0; i-- { // deepest first
			_ = os.Remove(subdirs[i])
		}
	}
}
