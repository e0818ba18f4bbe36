package kubelet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/atomicfile"
)

// pendingAllocationFile keeps, in the pod's directory, the allocation of
// a pod whose resize is pending, as the kubelet checkpoints allocations:
// the spec then says more than the node granted, and a restarted agent
// must not grant it by reading the spec alone. It exists only while a
// resize is pending; without it the allocation is the spec's.
const pendingAllocationFile = "pending-resize-allocation.json"

// maxAllocationFile bounds what is read back: a pod's resources, by
// container, are a few kilobytes at most.
const maxAllocationFile = 1 << 20

// loadPendingAllocation reads what an earlier life of the agent kept;
// nil when nothing (or nothing readable) was kept.
func (k *Kubelet) loadPendingAllocation(uid types.UID) allocation {
	path := filepath.Join(k.podDir(uid), pendingAllocationFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err == nil && len(data) > maxAllocationFile:
		err = fmt.Errorf("%d bytes, more than %d", len(data), maxAllocationFile)
	}
	var a allocation
	if err == nil {
		err = json.Unmarshal(data, &a)
	}
	if err != nil {
		k.log.Warn("ignoring a pending resize's saved allocation", "path", path, "err", err)
		return nil
	}
	return a
}

// savePendingAllocation keeps a while a resize is pending, and removes
// what was kept once none is.
func (k *Kubelet) savePendingAllocation(uid types.UID, a allocation, pending bool) error {
	path := filepath.Join(k.podDir(uid), pendingAllocationFile)
	if !pending {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing a resize's saved allocation: %w", err)
		}
		return nil
	}
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encoding a pending resize's allocation: %w", err)
	}
	if err := os.MkdirAll(k.podDir(uid), 0o750); err != nil {
		return fmt.Errorf("saving a pending resize's allocation: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("saving a pending resize's allocation: %w", err)
	}
	return nil
}
