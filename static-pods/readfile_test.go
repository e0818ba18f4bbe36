package staticpods

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestIsManifestName(t *testing.T) {
	tests := map[string]bool{
		"web.yaml": true, "web.yml": true, "web.json": true, "WEB.YAML": true,
		".web.yaml": false, "web.yaml~": false, "#web.yaml#": false, ".web.yaml.swp": false,
		"web.yaml.swp": false, "web.yaml.tmp": false, "web.tmp": false, "web.txt": false,
		"web": false, "4913": false, ".#web.yaml": false, "": false,
	}
	for name, want := range tests {
		if got := isManifestName(name); got != want {
			t.Errorf("isManifestName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestReadManifestFileRules(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(target, link string) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "plain.yaml"), "plain")
	write(filepath.Join(outside, "target.yaml"), "through a link")
	symlink(filepath.Join(outside, "target.yaml"), filepath.Join(dir, "link.yaml"))
	symlink(outside, filepath.Join(dir, "dirlink.yaml"))
	symlink(filepath.Join(outside, "gone.yaml"), filepath.Join(dir, "dangling.yaml"))
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	big, err := os.Create(filepath.Join(dir, "big.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(maxManifestSize + 1); err != nil { // sparse: no 10 MiB written
		t.Fatal(err)
	}
	big.Close()

	tests := []struct {
		name    string
		content string
		err     string // substring; errNotManifest when "-"
	}{
		{name: "plain.yaml", content: "plain"},
		{name: "link.yaml", content: "through a link"},
		{name: "missing.yaml", err: "-"},
		{name: "sub.yaml", err: "-"},
		{name: "dirlink.yaml", err: "which is a directory (only symlinks to regular files are read)"},
		{name: "dangling.yaml", err: "gone.yaml, which does not exist"},
		{name: "fifo.yaml", err: "is not a regular file (it is a named pipe)"},
		{name: "big.yaml", err: "is 10485761 bytes, over the 10 MiB (10485760 bytes) limit for a manifest (split it into several files)"},
	}
	for _, tt := range tests {
		data, err := readManifest(filepath.Join(dir, tt.name))
		switch {
		case tt.err == "-":
			if !errors.Is(err, errNotManifest) {
				t.Errorf("%s: err = %v, want errNotManifest", tt.name, err)
			}
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.err)
			}
		case err != nil || string(data) != tt.content:
			t.Errorf("%s: got %q, %v; want %q", tt.name, data, err, tt.content)
		}
	}
}

func TestSourceRefusesKernelPseudoFiles(t *testing.T) {
	h := startSource(t, Config{})
	targets := map[string]string{
		"version.yaml": "/proc/version",
		"environ.yaml": "/proc/self/environ",
		"online.yaml":  "/sys/devices/system/cpu/online",
	}
	for name, target := range targets {
		if _, err := os.Stat(target); err != nil {
			t.Skipf("%s: %v", target, err)
		}
		if err := os.Symlink(target, h.path(name)); err != nil {
			t.Fatal(err)
		}
	}
	version, _ := os.ReadFile("/proc/version")
	for name, target := range targets {
		ferr := assertNothingEchoed(t, h, name, strings.Fields(string(version))[0], "PATH=", "0-")
		want := name + ": is a symlink to " + target + ", a file of "
		if len(ferr.Messages) != 1 || !strings.HasPrefix(ferr.Messages[0], want) ||
			!strings.Contains(ferr.Messages[0], "a kernel pseudo-file system, not a manifest on disk") {
			t.Errorf("%s: messages %q, want one starting %q", name, ferr.Messages, want)
		}
	}
}
