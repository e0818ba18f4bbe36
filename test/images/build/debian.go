package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The suite's images that upstream builds on Debian or Alpine around
// dynamically linked programs (glibc-dns-testing, nginx) take those
// programs from Debian bookworm packages extracted into one directory
// (test/testbed/build.sh suite-debian), at the paths Debian gives them,
// with the loader and shared libraries they need.

// debianPackagesHint tells what to do when the Debian root lacks a file.
const debianPackagesHint = "add the package that ships it to SUITE_DEBIAN_PACKAGES in test/testbed/lib.sh"

// maxDebianFile bounds one file read from the Debian root; the largest the
// images take (libcrypto) is about 5 MiB.
const maxDebianFile = 64 << 20

// debianLibDirs are where Debian's loader looks for libraries on amd64
// (without an ld.so.cache), in its order.
var debianLibDirs = []string{"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib", "usr/lib"}

// elfDepsFunc says what an executable or library needs to load: its
// interpreter (absolute path, "" for none) and the sonames of its libraries.
// isELF is false for any other file.
type elfDepsFunc func(content []byte) (interp string, needed []string, isELF bool, err error)

// elfDeps reads the PT_INTERP and DT_NEEDED of an ELF file.
func elfDeps(content []byte) (string, []string, bool, error) {
	if !bytes.HasPrefix(content, []byte(elf.ELFMAG)) {
		return "", nil, false, nil
	}
	f, err := elf.NewFile(bytes.NewReader(content))
	if err != nil {
		return "", nil, true, fmt.Errorf("read ELF: %w", err)
	}
	defer f.Close()
	interp := ""
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		data := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(data, 0); err != nil {
			return "", nil, true, fmt.Errorf("read ELF interpreter: %w", err)
		}
		interp = strings.TrimRight(string(data), "\x00")
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return "", nil, true, fmt.Errorf("read ELF needed libraries: %w", err)
	}
	return interp, needed, true, nil
}

// pickDebianFiles returns the layer entries for names in root (files,
// symbolic links, whole directories, relative to root): each with what
// its links point to and, for each ELF file, its loader and the shared
// libraries it needs, transitively, as the loader would find them in
// debianLibDirs; plus every parent directory. Sorted by path, so parents
// come first and the same root gives the same layer.
//
// Links are followed inside root (an absolute target is taken relative to
// it), never on the host; a missing file or library is an error naming it.
func pickDebianFiles(root fs.FS, names []string, deps elfDepsFunc) ([]tarEntry, error) {
	picked := map[string]tarEntry{}
	queue := append([]string(nil), names...)
	neededBy := map[string]string{} // for errors: which file wanted a path
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if _, done := picked[name]; done {
			continue
		}
		more, entry, err := pickOne(root, name, deps)
		if err != nil {
			if by := neededBy[name]; by != "" {
				return nil, fmt.Errorf("%w (needed by %s)", err, by)
			}
			return nil, err
		}
		picked[name] = entry
		for _, next := range more {
			if _, seen := neededBy[next]; !seen {
				neededBy[next] = name
			}
		}
		queue = append(queue, more...)
	}
	for name := range picked {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if _, ok := picked[dir]; !ok {
				picked[dir] = dirEntry(dir, 0o755)
			}
		}
	}
	sorted := make([]string, 0, len(picked))
	for name := range picked {
		sorted = append(sorted, name)
	}
	sort.Strings(sorted)
	entries := make([]tarEntry, 0, len(sorted))
	for _, name := range sorted {
		entries = append(entries, picked[name])
	}
	return entries, nil
}

// pickOne makes the entry for name and says which paths it brings along:
// a link's target, a directory's children, an ELF file's loader and
// libraries.
func pickOne(root fs.FS, name string, deps elfDepsFunc) ([]string, tarEntry, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, tarEntry{}, fmt.Errorf("path %q leaves the Debian root", name)
	}
	info, err := fs.Lstat(root, name)
	if err != nil {
		return nil, tarEntry{}, fmt.Errorf("%s is not in the Debian root; %s: %w", name, debianPackagesHint, err)
	}
	mode := tarMode(info.Mode())
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := fs.ReadLink(root, name)
		if err != nil {
			return nil, tarEntry{}, fmt.Errorf("read link %s: %w", name, err)
		}
		resolved := strings.TrimPrefix(target, "/")
		if !strings.HasPrefix(target, "/") {
			resolved = path.Join(path.Dir(name), target)
		}
		return []string{resolved}, linkEntry(name, target), nil
	case info.IsDir():
		children, err := fs.ReadDir(root, name)
		if err != nil {
			return nil, tarEntry{}, fmt.Errorf("list %s: %w", name, err)
		}
		var more []string
		for _, child := range children {
			more = append(more, path.Join(name, child.Name()))
		}
		return more, dirEntry(name, mode), nil
	case info.Mode().IsRegular():
		if info.Size() > maxDebianFile {
			return nil, tarEntry{}, fmt.Errorf("%s is %d bytes, more than the %d an image file may have", name, info.Size(), maxDebianFile)
		}
		content, err := fs.ReadFile(root, name)
		if err != nil {
			return nil, tarEntry{}, fmt.Errorf("read %s: %w", name, err)
		}
		interp, needed, isELF, err := deps(content)
		if err != nil {
			return nil, tarEntry{}, fmt.Errorf("%s: %w", name, err)
		}
		var more []string
		if isELF && interp != "" {
			more = append(more, strings.TrimPrefix(interp, "/"))
		}
		for _, soname := range needed {
			lib, err := findLibrary(root, soname)
			if err != nil {
				return nil, tarEntry{}, fmt.Errorf("%s: %w", name, err)
			}
			more = append(more, lib)
		}
		return more, fileEntry(name, mode, content), nil
	default:
		return nil, tarEntry{}, fmt.Errorf("%s is a %s; images take files, links and directories only", name, info.Mode().Type())
	}
}

// tarMode is mode's permission bits as a tar header has them, with
// set-user-ID and set-group-ID.
func tarMode(mode fs.FileMode) int64 {
	bits := int64(mode.Perm())
	if mode&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	if mode&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	return bits
}

// findLibrary is the path of soname in the first of debianLibDirs that has it.
func findLibrary(root fs.FS, soname string) (string, error) {
	if strings.Contains(soname, "/") {
		return "", fmt.Errorf("library %q: a soname with a path is not supported", soname)
	}
	for _, dir := range debianLibDirs {
		candidate := path.Join(dir, soname)
		if _, err := fs.Lstat(root, candidate); err == nil {
			return candidate, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("look for library %s: %w", candidate, err)
		}
	}
	return "", fmt.Errorf("library %s is in none of %s of the Debian root; %s", soname, strings.Join(debianLibDirs, ", "), debianPackagesHint)
}

// overlay is base with top laid over it: a file or link of top replaces
// base's entry of the same path where it stands, a directory both have
// keeps base's, and the rest of top follows in its order.
func overlay(base, top []tarEntry) []tarEntry {
	inBase := map[string]bool{}
	for _, entry := range base {
		inBase[entry.header.Name] = true
	}
	replace := map[string]tarEntry{}
	var rest []tarEntry
	for _, entry := range top {
		name := entry.header.Name
		switch {
		case !inBase[name]:
			rest = append(rest, entry)
		case entry.header.Typeflag != tar.TypeDir:
			replace[name] = entry
		}
	}
	out := make([]tarEntry, 0, len(base)+len(rest))
	for _, entry := range base {
		if r, ok := replace[entry.header.Name]; ok {
			entry = r
		}
		out = append(out, entry)
	}
	return append(out, rest...)
}
