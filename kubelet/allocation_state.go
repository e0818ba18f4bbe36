package kubelet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/atomicfile"
)

// allocationFile keeps, in the pod's directory, the allocation of a pod,
// as the kubelet checkpoints allocations: a restarted agent must not
// grant a resize by reading the spec alone, whether the resize was
// pending when it stopped or made while it was down. A pod without one
// (admitted by an agent that kept none) is allocated its spec.
const allocationFile = "allocation.json"

// maxAllocationFile bounds what is read back: a pod's resources, by
// container, are a few kilobytes at most.
const maxAllocationFile = 1 << 20

// loadAllocation reads what an earlier life of the agent kept; nil when
// nothing (or nothing readable) was kept.
func (k *Kubelet) loadAllocation(uid types.UID) allocation {
	path := filepath.Join(k.podDir(uid), allocationFile)
	data, err := readAtMost(path, maxAllocationFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var a allocation
	if err == nil {
		err = json.Unmarshal(data, &a)
	}
	if err != nil {
		k.log.Warn("ignoring a pod's saved allocation", "path", path, "err", err)
		return nil
	}
	return a
}

// saveAllocation keeps a, the pod's allocation.
func (k *Kubelet) saveAllocation(uid types.UID, a allocation) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encoding a pod's allocation: %w", err)
	}
	if err := os.MkdirAll(k.podDir(uid), 0o750); err != nil {
		return fmt.Errorf("saving a pod's allocation: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(k.podDir(uid), allocationFile), data, 0o600); err != nil {
		return fmt.Errorf("saving a pod's allocation: %w", err)
	}
	return nil
}

// readAtMost reads the regular file at path, not through a symlink, and
// refuses one longer than limit without reading past it.
func readAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("more than %d bytes", limit)
	}
	return data, err
}
