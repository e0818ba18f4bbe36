package volume

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The atomic writer's layout, the kubelet's: the files live in a
// timestamped directory, "..data" links to it, and each top-level name
// links into "..data". An update writes a new directory and swaps the
// "..data" link with one rename, so a reader sees the old files or the
// new ones, never a mix; the names a container opens never change.
const (
	dataLink    = "..data"
	dataLinkTmp = "..data_tmp"
)

// writeAtomically makes dir hold payload and reports whether anything
// changed: the same files with the same modes leave it as it is, so a
// periodic refresh writes nothing while the objects are unchanged.
// group, when not nil, gets the files (the pod's fsGroup). dir belongs
// to the agent and containers mount it read-only; files are still
// created exclusively and without following links.
func writeAtomically(dir string, payload Payload, group *int64) (bool, error) {
	if err := checkPaths(payload); err != nil {
		return false, err
	}
	current, err := os.Readlink(filepath.Join(dir, dataLink))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("reading %s: %w", filepath.Join(dir, dataLink), err)
	}
	changed := current == "" || !holds(filepath.Join(dir, current), payload)
	if changed {
		next, err := writeVersion(dir, payload, group)
		if err != nil {
			return false, err
		}
		if err := swapDataLink(dir, next); err != nil {
			os.RemoveAll(filepath.Join(dir, next))
			return false, err
		}
		current = next
	}
	if err := linkTopLevelNames(dir, payload); err != nil {
		return changed, err
	}
	return changed, removeStale(dir, current, payload)
}

// writeVersion writes payload into a new timestamped directory of dir
// and returns its name.
func writeVersion(dir string, payload Payload, group *int64) (string, error) {
	version, err := os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return "", fmt.Errorf("creating a new version of volume %s: %w", dir, err)
	}
	for _, name := range slices.Sorted(maps.Keys(payload)) {
		if err := writeFile(version, name, payload[name], group); err != nil {
			os.RemoveAll(version)
			return "", err
		}
	}
	if err := setOwnerAndMode(version, 0o755, true, group); err != nil {
		os.RemoveAll(version)
		return "", err
	}
	return filepath.Base(version), nil
}

func writeFile(root, name string, file File, group *int64) error {
	full := filepath.Join(root, name)
	if !strings.HasPrefix(full, root+"/") {
		return fmt.Errorf("file path %q is not inside the volume", name) // checkPaths refuses these first
	}
	if parent := filepath.Dir(full); parent != root {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("creating the directory of %s: %w", name, err)
		}
		for d := parent; strings.HasPrefix(d, root+"/"); d = filepath.Dir(d) {
			if err := setOwnerAndMode(d, 0o755, true, group); err != nil {
				return err
			}
		}
	}
	fd, err := unix.Open(full, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("creating %s: %w", full, err)
	}
	f := os.NewFile(uintptr(fd), full)
	_, err = f.Write(file.Data)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", full, err)
	}
	return setOwnerAndMode(full, os.FileMode(file.Mode)&0o777, false, group)
}

// setOwnerAndMode sets mode (umask does not narrow it), and with a group
// gives the path to it, readable (and, for a directory, searchable and
// setgid) by it, as the kubelet sets a volume's fsGroup.
func setOwnerAndMode(path string, mode os.FileMode, dir bool, group *int64) error {
	if group != nil {
		if err := os.Lchown(path, -1, int(*group)); err != nil {
			return fmt.Errorf("giving %s to fsGroup %d: %w", path, *group, err)
		}
		mode |= 0o040
		if dir {
			mode |= 0o010 | os.ModeSetgid
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", path, err)
	}
	return nil
}

// swapDataLink points "..data" at version in one rename.
func swapDataLink(dir, version string) error {
	tmp := filepath.Join(dir, dataLinkTmp)
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", tmp, err)
	}
	if err := os.Symlink(version, tmp); err != nil {
		return fmt.Errorf("linking %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, dataLink)); err != nil {
		return fmt.Errorf("switching volume %s to its new files: %w", dir, err)
	}
	return nil
}

// linkTopLevelNames makes each top-level name of the payload a link into
// "..data", unless it is one already.
func linkTopLevelNames(dir string, payload Payload) error {
	for name := range topLevelNames(payload) {
		link := filepath.Join(dir, name)
		info, err := os.Lstat(link)
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			continue
		}
		if err == nil {
			return fmt.Errorf("%s is in the way of the volume's link %s (not a link)", link, name)
		}
		if err := os.Symlink(filepath.Join(dataLink, name), link); err != nil {
			return fmt.Errorf("linking %s: %w", link, err)
		}
	}
	return nil
}

// removeStale removes the links of names the payload no longer has, and
// every version but current (earlier ones, and any a crash left).
func removeStale(dir, current string, payload Payload) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("listing volume %s: %w", dir, err)
	}
	names := topLevelNames(payload)
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == dataLink || name == current:
		case strings.HasPrefix(name, ".."):
			errs = append(errs, os.RemoveAll(filepath.Join(dir, name)))
		case !names[name] && e.Type()&fs.ModeSymlink != 0:
			errs = append(errs, os.Remove(filepath.Join(dir, name)))
		}
	}
	return errors.Join(errs...)
}

func topLevelNames(payload Payload) map[string]bool {
	names := map[string]bool{}
	for p := range payload {
		top, _, _ := strings.Cut(p, "/")
		names[top] = true
	}
	return names
}

// holds reports whether version has exactly payload's files, contents
// and modes.
func holds(version string, payload Payload) bool {
	seen := 0
	err := filepath.WalkDir(version, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(version, p)
		want, ok := payload[rel]
		if !ok || !d.Type().IsRegular() {
			return errStale
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm()&^0o040 != os.FileMode(want.Mode)&0o777&^0o040 {
			return errStale
		}
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(data, want.Data) {
			return errStale
		}
		seen++
		return nil
	})
	return err == nil && seen == len(payload)
}

var errStale = errors.New("the volume's files differ")

// CurrentVersion is the directory of the files dir's "..data" names now,
// for a subPath into the volume: the link is the writer's own, and its
// target must be one of the writer's version names in dir.
func CurrentVersion(dir string) (string, error) {
	version, err := os.Readlink(filepath.Join(dir, dataLink))
	if err != nil {
		return "", fmt.Errorf("reading the volume's current version: %w", err)
	}
	if !strings.HasPrefix(version, "..") || strings.Contains(version, "/") || version == dataLink || version == dataLinkTmp {
		return "", fmt.Errorf("the volume's %s link names %q, not one of its versions", dataLink, version)
	}
	return filepath.Join(dir, version), nil
}
