// Package atomicfile replaces files in one step, for the agent's own
// state: its token and certificates, kubeconfigs, a node's credentials.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data in one step: readers see the old file or
// the new one, never a part, and after a power loss too (the file and its
// directory are synced). The temporary file is created fresh
// (O_EXCL, no-follow) with perm, so no one can open it before it holds
// what it should (O_EXCL also refuses a symlink planted at its name).
func Write(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync() // makes the rename durable; a failure leaves it as durable as before
		dir.Close()
	}
	return nil
}
