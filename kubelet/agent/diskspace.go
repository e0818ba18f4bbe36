package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// The agent watches the file systems behind its own directories. A full
// one does not stop running containers, but the runtime can no longer
// write their logs (--pod-log-dir) or the agent the files a new pod needs
// (--root-dir). The agent says so once per directory, and once when space
// returns; shows it on every pod's status as the kubelet's DiskPressure
// condition (there is no Node object to carry it); and exports
// minikubelet_disk_full{flag}.

const (
	// diskFullBelow is the free space under which a file system counts
	// as full: a pod's first log lines or its /etc/hosts no longer fit.
	diskFullBelow = 1 << 20
	// diskCheckInterval is how often the directories are checked.
	diskCheckInterval = 5 * time.Second
	// DiskPressure is the condition type pods show while a disk is full.
	conditionDiskPressure v1.PodConditionType = "DiskPressure"
)

// watchedDir is one of the agent's directories and what a full disk
// behind it costs.
type watchedDir struct {
	flag, path, consequence string
}

// diskUsage is what statfs says of a file system.
type diskUsage struct {
	freeBytes  uint64
	freeInodes uint64
	inodes     uint64 // 0 when the file system does not count them
}

func (u diskUsage) full() bool {
	return u.freeBytes < diskFullBelow || (u.inodes > 0 && u.freeInodes == 0)
}

// nodeConditions is where the watch shows DiskPressure: the sync loop.
type nodeConditions interface {
	SetNodeCondition(v1.PodCondition)
	ClearNodeCondition(v1.PodConditionType)
}

// diskSpace checks its directories every diskCheckInterval until ctx ends.
type diskSpace struct {
	dirs       []watchedDir
	statfs     func(path string) (diskUsage, error)
	conditions nodeConditions
	setFull    func(flag string, full bool)
	log        *slog.Logger
	interval   time.Duration

	full map[string]diskUsage // by flag, while full
}

func newDiskSpace(opts Options, conditions nodeConditions, setFull func(string, bool), log *slog.Logger) *diskSpace {
	return &diskSpace{
		dirs: []watchedDir{
			{"pod-log-dir", opts.PodLogDir, "container logs are lost"},
			{"root-dir", opts.RootDir, "new pods cannot start"},
		},
		statfs: statfs, conditions: conditions, setFull: setFull, log: log,
		interval: diskCheckInterval, full: map[string]diskUsage{},
	}
}

// run checks at once, then every interval, until ctx ends.
func (d *diskSpace) run(ctx context.Context) error {
	ticker := time.NewTicker(d.interval)
	defer ticker.Stop()
	for {
		d.check()
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// check looks at every directory and reports what changed.
func (d *diskSpace) check() {
	changed := false
	for _, dir := range d.dirs {
		usage, err := d.statfs(dir.path)
		if err != nil {
			d.log.Debug("cannot check the free space behind a directory", "flag", "--"+dir.flag, "path", dir.path, "err", err)
			continue
		}
		_, wasFull := d.full[dir.flag]
		switch {
		case usage.full() && !wasFull:
			d.full[dir.flag] = usage
			d.log.Warn("the disk behind an agent directory is full; running containers keep running",
				"flag", "--"+dir.flag, "path", dir.path, "free", bytesText(usage.freeBytes), "freeInodes", usage.freeInodes,
				"consequence", dir.consequence, "fix", "free space there; the agent recovers by itself")
		case !usage.full() && wasFull:
			delete(d.full, dir.flag)
			d.log.Info("the disk behind an agent directory has space again", "flag", "--"+dir.flag, "path", dir.path, "free", bytesText(usage.freeBytes))
		default:
			continue
		}
		changed = true
		d.setFull(dir.flag, usage.full())
	}
	if changed {
		d.showCondition()
	}
}

// showCondition puts DiskPressure on every pod while a disk is full.
func (d *diskSpace) showCondition() {
	if len(d.full) == 0 {
		d.conditions.ClearNodeCondition(conditionDiskPressure)
		return
	}
	var parts []string
	for _, dir := range d.dirs {
		if usage, ok := d.full[dir.flag]; ok {
			parts = append(parts, fmt.Sprintf("the disk behind --%s %s is full (%s free): %s", dir.flag, dir.path, bytesText(usage.freeBytes), dir.consequence))
		}
	}
	d.conditions.SetNodeCondition(v1.PodCondition{
		Type: conditionDiskPressure, Status: v1.ConditionTrue, Reason: "DiskFull",
		Message: strings.Join(parts, "; ") + "; free space there and the agent recovers by itself",
	})
}

// statfs reads a directory's file system's free space and inodes.
func statfs(path string) (diskUsage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return diskUsage{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	return diskUsage{freeBytes: st.Bavail * uint64(st.Bsize), freeInodes: st.Ffree, inodes: st.Files}, nil
}

// bytesText renders a size as Kubernetes quantities do (e.g. 512Ki).
func bytesText(n uint64) string {
	return resource.NewQuantity(int64(min(n, 1<<62)), resource.BinarySI).String()
}
