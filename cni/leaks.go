package cni

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/containernetworking/cni/libcni"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// SandboxLister is the one CRI call the leak collector needs; its signature
// matches k8s.io/cri-api/pkg/apis.RuntimeService.
type SandboxLister interface {
	ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error)
}

// attachmentCache is the part of libcni the collector uses.
type attachmentCache interface {
	GetCachedAttachments(containerID string) ([]*libcni.NetworkAttachment, error)
	DelNetworkList(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error
}

// cachedAttachment is a libcni cache entry of our network name with its
// age and whether it is this manager's (see networkOwner).
type cachedAttachment struct {
	*libcni.NetworkAttachment
	modTime time.Time
	owned   bool
}

// releasePlan is what one sweep will release: attachments through CNI DEL,
// and allocations without a cache entry by removing host-local's file.
type releasePlan struct {
	attachments []cachedAttachment
	orphans     []allocation
}

// planReleases picks what is safe to release. An entry is released only if
// it is ours, its container ID is absent from live (a list taken after the
// scan, in any sandbox state) and it is older than grace, because containerd
// lists a sandbox only after its CNI ADD has finished. allocations must be
// ours already; cached holds every entry so that another runtime's entry
// still keeps its allocation from looking orphaned.
func planReleases(cached []cachedAttachment, allocations []allocation, live map[string]bool, now time.Time, grace time.Duration) releasePlan {
	var plan releasePlan
	hasCache := make(map[[2]string]bool, len(cached))
	for _, att := range cached {
		hasCache[[2]string{att.ContainerID, att.IfName}] = true
		if att.owned && !live[att.ContainerID] && now.Sub(att.modTime) >= grace {
			plan.attachments = append(plan.attachments, att)
		}
	}
	for _, alloc := range allocations {
		if alloc.containerID == "" || live[alloc.containerID] || hasCache[[2]string{alloc.containerID, alloc.ifName}] {
			continue
		}
		if now.Sub(alloc.modTime) >= grace {
			plan.orphans = append(plan.orphans, alloc)
		}
	}
	return plan
}

// leakCollector releases addresses of our network whose sandbox no longer
// exists in the runtime.
type leakCollector struct {
	cache      attachmentCache
	cacheDir   string
	store      hostLocalStore
	owner      networkOwner
	current    *libcni.NetworkConfigList
	sandboxes  SandboxLister
	grace      time.Duration
	criTimeout time.Duration
	now        func() time.Time
	logger     *slog.Logger
	onReleased func()
	memo       sweepMemo
}

// collect runs one sweep and returns how many addresses it released.
func (c *leakCollector) collect(ctx context.Context) (int, error) {
	cached, allocations, err := c.scan()
	if err != nil {
		c.memo.forget()
		return 0, err
	}
	if !anyOwned(cached) && len(allocations) == 0 {
		return 0, nil
	}
	// Listed after the scan so that anything allocated before the scan
	// finished and already known to the runtime counts as live.
	live, err := c.liveSandboxIDs(ctx)
	if err != nil {
		return 0, err
	}
	plan := planReleases(cached, allocations, live, c.now(), c.grace)
	released := 0
	var errs []error
	for _, att := range plan.attachments {
		if err := c.releaseAttachment(ctx, att); err != nil {
			errs = append(errs, err)
			continue
		}
		released++
	}
	for _, orphan := range plan.orphans {
		ok, err := c.releaseOrphan(orphan)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			released++
		}
	}
	return released, errors.Join(errs...)
}

// scan returns our network's cache entries and our allocations, read again
// only where a directory listing changed since the last sweep (sweepMemo).
func (c *leakCollector) scan() ([]cachedAttachment, []allocation, error) {
	resultsDir := filepath.Join(c.cacheDir, "results")
	stamps, err := stampFiles(resultsDir, NetworkName+"-")
	if err != nil {
		return nil, nil, fmt.Errorf("listing CNI result cache in %s: %w", resultsDir, err)
	}
	if c.removeCorruptCacheEntries(stamps) > 0 {
		if stamps, err = stampFiles(resultsDir, NetworkName+"-"); err != nil {
			return nil, nil, fmt.Errorf("listing CNI result cache in %s: %w", resultsDir, err)
		}
	}
	if !c.memo.cachedUnchanged(stamps) {
		cached, err := c.cachedAttachments()
		if err != nil {
			return nil, nil, err
		}
		c.memo.cacheStamps, c.memo.cached = stamps, append([]cachedAttachment{}, cached...)
	}
	allocStamps, err := stampFiles(c.store.dir, "")
	if err != nil {
		return nil, nil, fmt.Errorf("listing host-local allocations in %s: %w", c.store.dir, err)
	}
	if !c.memo.allocationsUnchanged(allocStamps) {
		allocations, err := c.ownAllocations()
		if err != nil {
			return nil, nil, err
		}
		c.memo.allocStamps, c.memo.allocations = allocStamps, append([]allocation{}, allocations...)
	}
	return c.memo.cached, c.memo.allocations, nil
}

// ownAllocations lists host-local allocations inside our pod CIDR.
func (c *leakCollector) ownAllocations() ([]allocation, error) {
	all, err := c.store.list()
	if err != nil {
		return nil, err
	}
	ours := all[:0]
	for _, alloc := range all {
		if c.owner.ownsIP(alloc.ip) {
			ours = append(ours, alloc)
		}
	}
	return ours, nil
}

func anyOwned(cached []cachedAttachment) bool {
	for _, att := range cached {
		if att.owned {
			return true
		}
	}
	return false
}

// cachedAttachments returns libcni cache entries of our network name,
// marking those of this manager's bridge and data dir as owned.
func (c *leakCollector) cachedAttachments() ([]cachedAttachment, error) {
	all, err := c.cache.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("reading CNI result cache in %s: %w", c.cacheDir, err)
	}
	var ours []cachedAttachment
	for _, att := range all {
		if att.Network != NetworkName {
			continue
		}
		path := filepath.Join(c.cacheDir, "results", fmt.Sprintf("%s-%s-%s", att.Network, att.ContainerID, att.IfName))
		info, err := os.Stat(path)
		if err != nil {
			continue // deleted since it was read: released by its owner
		}
		ours = append(ours, cachedAttachment{NetworkAttachment: att, modTime: info.ModTime(), owned: c.owner.ownsConfig(att.Config)})
	}
	return ours, nil
}

func (c *leakCollector) liveSandboxIDs(ctx context.Context) (map[string]bool, error) {
	callCtx, cancel := context.WithTimeout(ctx, c.criTimeout)
	defer cancel()
	sandboxes, err := c.sandboxes.ListPodSandbox(callCtx, nil)
	if err != nil {
		return nil, fmt.Errorf("listing sandboxes to find leaked pod addresses: %w", err)
	}
	live := make(map[string]bool, len(sandboxes))
	for _, sandbox := range sandboxes {
		live[sandbox.GetId()] = true
	}
	return live, nil
}

// releaseAttachment runs CNI DEL with the config the address was allocated
// with, so plugins undo exactly what ADD did even if our conflist changed.
func (c *leakCollector) releaseAttachment(ctx context.Context, att cachedAttachment) error {
	list, err := libcni.NetworkConfFromBytes(att.Config)
	if err != nil {
		c.logger.Warn("cached CNI config unreadable, releasing with the current one",
			"containerID", att.ContainerID, "error", err)
		list = c.current
	}
	rt := &libcni.RuntimeConf{
		ContainerID:    att.ContainerID,
		NetNS:          reachableNetNS(att.NetNS),
		IfName:         att.IfName,
		Args:           att.CniArgs,
		CapabilityArgs: att.CapabilityArgs,
	}
	delCtx, cancel := context.WithTimeout(ctx, pluginTimeout)
	defer cancel()
	if err := c.cache.DelNetworkList(delCtx, list, rt); err != nil {
		return fmt.Errorf("releasing leaked address of gone sandbox %s (%s): %w", att.ContainerID, att.IfName, err)
	}
	c.logger.Info("released leaked pod address", "containerID", att.ContainerID, "ifName", att.IfName, "via", "CNI DEL")
	c.countRelease()
	return nil
}

// releaseOrphan removes a host-local allocation that has no libcni cache
// entry, so DEL cannot be given the config it was made with.
func (c *leakCollector) releaseOrphan(alloc allocation) (bool, error) {
	released, err := c.store.release(alloc.ip, alloc.containerID)
	if err != nil || !released {
		return false, err
	}
	c.logger.Info("released leaked pod address", "ip", alloc.ip, "containerID", alloc.containerID,
		"via", "host-local file without CNI cache entry")
	c.countRelease()
	return true, nil
}

func (c *leakCollector) countRelease() {
	if c.onReleased != nil {
		c.onReleased()
	}
}
