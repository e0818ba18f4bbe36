package cni

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// confExtensions are the file kinds runtimes load from the CNI config
// directory (containerd's go-cni and CRI-O use the same set); the first
// file in name order wins.
var confExtensions = []string{".conf", ".conflist", ".json"}

// confChange says why ensureConfFile wrote the file; "" means it did not.
type confChange string

const (
	confUnchanged confChange = ""
	confMissing   confChange = "missing"
	confModified  confChange = "modified"
)

// ensureConfFile makes path hold exactly want, writing only when the
// content differs so the runtime does not reload an identical config.
func ensureConfFile(path string, want []byte) (confChange, error) {
	have, err := os.ReadFile(path)
	change := confModified
	switch {
	case err == nil && bytes.Equal(have, want):
		return confUnchanged, nil
	case errors.Is(err, fs.ErrNotExist):
		change = confMissing
	case err != nil:
		return confUnchanged, fmt.Errorf("reading CNI config %s: %w", path, err)
	}
	if err := writeFileAtomic(path, want, 0o644); err != nil {
		return confUnchanged, err
	}
	return change, nil
}

// writeFileAtomic replaces path with data so that a reader (the runtime
// reloading its CNI directory) sees either the old or the new file, never a
// partial one, even across a crash. The temporary file's extension is not
// one runtimes load.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating CNI config directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp.Name(), path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// configsBefore lists the CNI config files in dir that sort before ours: the
// runtime uses the first one, so any of them shadows our network.
func configsBefore(dir, ours string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing CNI config directory %s: %w", dir, err)
	}
	var earlier []string
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || name >= ours || !hasConfExtension(name) {
			continue
		}
		earlier = append(earlier, name)
	}
	sort.Strings(earlier)
	return earlier, nil
}

func hasConfExtension(name string) bool {
	for _, ext := range confExtensions {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
