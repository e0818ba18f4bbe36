package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
)

// agnhostTools are the host's programs the suite runs in agnhost
// containers besides agnhost itself, and where the image has them. The
// networking tests exec `curl` (the netexec /dial and /hostName calls)
// and `nc -u` (UDP from a host-network pod) there: upstream's agnhost
// image has both, busybox has no curl and its nc no UDP. /usr/local/bin
// comes first in the images' PATH, before busybox's links.
var agnhostTools = []toolSpec{
	{host: "/usr/bin/curl", image: "usr/local/bin/curl", pkg: "curl"},
	{host: "/bin/nc.openbsd", image: "usr/local/bin/nc", pkg: "netcat-openbsd"},
}

// toolSpec is one dynamically linked program of the host to copy into an
// image, with the shared libraries it loads.
type toolSpec struct {
	host, image, pkg string
}

// toolFile is one file of a tool in an image: the program or a library,
// at its path in the image (no leading slash).
type toolFile struct {
	path    string
	mode    int64
	content []byte
}

// readTools reads each tool and the libraries ldd says it loads, each
// library at the path the loader looks for it (the symlink's name, with
// the content of the file it names). Debian's glibc finds them there
// without an ld.so.cache: its multiarch directories are built in.
func readTools(ctx context.Context, tools []toolSpec) ([]toolFile, error) {
	var files []toolFile
	seen := map[string]bool{}
	for _, tool := range tools {
		program, err := os.ReadFile(tool.host)
		if err != nil {
			return nil, fmt.Errorf("read %s (apt-get install %s): %w", tool.host, tool.pkg, err)
		}
		files = append(files, toolFile{tool.image, 0o755, program})
		out, err := exec.CommandContext(ctx, "ldd", tool.host).Output()
		if err != nil {
			return nil, fmt.Errorf("list the libraries of %s with ldd: %w", tool.host, err)
		}
		libs, err := parseLdd(out)
		if err != nil {
			return nil, fmt.Errorf("libraries of %s: %w", tool.host, err)
		}
		for _, lib := range libs {
			if seen[lib] {
				continue
			}
			seen[lib] = true
			content, err := os.ReadFile(lib)
			if err != nil {
				return nil, fmt.Errorf("read library %s of %s: %w", lib, tool.host, err)
			}
			files = append(files, toolFile{strings.TrimPrefix(lib, "/"), 0o755, content})
		}
	}
	return files, nil
}

// parseLdd returns the absolute paths of the libraries in ldd's output:
// "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" and the loader
// "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file. A library
// ldd cannot find is an error naming it.
func parseLdd(out []byte) ([]string, error) {
	var libs []string
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" {
			continue
		}
		if strings.HasSuffix(line, "=> not found") {
			return nil, fmt.Errorf("ldd finds no %s", strings.Fields(line)[0])
		}
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 3 && fields[1] == "=>" && strings.HasPrefix(fields[2], "/"):
			libs = append(libs, path.Clean(fields[2]))
		case strings.HasPrefix(fields[0], "/"):
			libs = append(libs, path.Clean(fields[0]))
		}
	}
	sort.Strings(libs) // a stable digest
	return libs, scanner.Err()
}

// toolEntries are the layer entries of tool files, with the directories
// they are in that have is not made already.
func toolEntries(files []toolFile, have map[string]bool) []tarEntry {
	dirs := map[string]bool{}
	for _, f := range files {
		for dir := path.Dir(f.path); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if !have[dir] {
				dirs[dir] = true
			}
		}
	}
	sorted := make([]string, 0, len(dirs))
	for dir := range dirs {
		sorted = append(sorted, dir)
	}
	sort.Strings(sorted)
	var entries []tarEntry
	for _, dir := range sorted {
		entries = append(entries, dirEntry(dir, 0o755))
	}
	for _, f := range files {
		entries = append(entries, fileEntry(f.path, f.mode, f.content))
	}
	return entries
}
