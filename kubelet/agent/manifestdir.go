package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// checkManifestDir refuses a manifest directory that another user could
// write, or swap out through a writable parent: whoever writes a manifest
// runs a pod as root, privileged if they like. A directory not made yet is
// fine; the source creates it 0755.
func checkManifestDir(dir string) error {
	resolved, err := filepath.EvalSymlinks(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--manifest-dir %s: %w", dir, err)
	}
	abs, err := filepath.Abs(resolved)
	if err != nil {
		return fmt.Errorf("--manifest-dir %s: %w", dir, err)
	}
	if err := checkNotOthersWritable(abs, false); err != nil {
		return fmt.Errorf("--manifest-dir %s: %w", dir, err)
	}
	for parent := filepath.Dir(abs); ; parent = filepath.Dir(parent) {
		if err := checkNotOthersWritable(parent, true); err != nil {
			return fmt.Errorf("--manifest-dir %s: %w", dir, err)
		}
		if parent == "/" {
			return nil
		}
	}
}

// checkNotOthersWritable refuses a directory another user may write or
// own. A sticky parent (as /tmp) is fine: others cannot rename or remove
// what is ours in it.
func checkNotOthersWritable(dir string, parent bool) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	mode := info.Mode()
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() && st.Uid != 0 {
		return fmt.Errorf("%s belongs to uid %d, who could write manifests that run as root: run `chown root %s`", dir, st.Uid, dir)
	}
	if mode.Perm()&0o022 == 0 || (parent && mode&fs.ModeSticky != 0) {
		return nil
	}
	who := "its group"
	if mode.Perm()&0o002 != 0 {
		who = "group and others"
	}
	what := "write manifests that run as root"
	if parent {
		what = "replace the manifest directory with their own"
	}
	return fmt.Errorf("%s has mode %04o, so %s could %s: run `chmod go-w %s`", dir, mode.Perm(), who, what, dir)
}
