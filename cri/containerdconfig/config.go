// Package containerdconfig renders the config.toml of every containerd
// minikubelet's project starts: the agent's managed containerd, the e2e
// framework's private nodes and the test bed's runtimes (through the
// hidden `minikubelet containerd-config` command its scripts call). One
// renderer, so what the tests run on cannot drift from what the product
// writes.
//
// Render is a pure function of Config: no file is read or written.
package containerdconfig

import (
	"fmt"
	"path/filepath"
	"strconv"
	"unicode/utf8"
)

// Format is the config file's format version: containerd 1.6 and 1.7 read
// version 2; 2.x reads version 3 natively and migrates version 2 at start.
type Format int

// The formats Render writes.
const (
	FormatV2 Format = 2
	FormatV3 Format = 3
)

// Bounds on the inputs.
const (
	maxPathLen      = 4095 // PATH_MAX less its NUL
	maxValueLen     = 4096
	maxCommentLines = 8
	maxCommentLen   = 200
	maxCNIBinDirs   = 8
	// containerd refuses a shim socket dir longer than this: the shims'
	// unix socket paths under it must stay short.
	maxShimSocketDirLen = 42
)

// UnusedSnapshotters are the snapshotter plugins DisableUnusedSnapshotters
// turns off: they need kernel modules or tools most hosts lack, and only
// add errors to containerd's log.
var UnusedSnapshotters = []string{
	"io.containerd.snapshotter.v1.aufs",
	"io.containerd.snapshotter.v1.btrfs",
	"io.containerd.snapshotter.v1.devmapper",
	"io.containerd.snapshotter.v1.zfs",
}

// Config is everything that differs between the containerds we run. Every
// path must be absolute. A zero bool or empty optional field leaves
// containerd's default (and writes nothing).
type Config struct {
	Format Format
	// Comment is the file's first lines, each written after "# ": who
	// writes the file and how to change it.
	Comment []string

	// Root holds images, snapshots and metadata; State the shim bundles
	// and (with NetNSUnderState) pod network namespaces. Both required.
	Root  string
	State string
	// GRPCAddress is the CRI socket (required); TTRPCAddress the shims'
	// socket, GRPCAddress + ".ttrpc" when empty.
	GRPCAddress  string
	TTRPCAddress string
	// OptDir is the io.containerd.internal.v1.opt plugin's path (default
	// /opt/containerd, shared by every containerd on the host).
	OptDir string
	// ShimSocketDir is where shims put their sockets (format 3 only: 1.x
	// has no shim manager plugin); at most 42 characters.
	ShimSocketDir string
	// DisableUnusedSnapshotters disables UnusedSnapshotters.
	DisableUnusedSnapshotters bool
	// DisableNRI turns NRI off, whose default socket every containerd on
	// the host would share. containerd 1.6 has no NRI and ignores it.
	DisableNRI bool

	// SandboxImage is the pause image (required).
	SandboxImage string
	// RegistryConfigDir is the certs.d directory of per-registry
	// hosts.toml files (see RegistryHosts).
	RegistryConfigDir string
	// RestrictOOMScoreAdj keeps containers' oom_score_adj at or above the
	// runtime's own, which hosts without CAP_SYS_RESOURCE need.
	RestrictOOMScoreAdj bool
	// NetNSUnderState mounts pod network namespaces under State, not the
	// host's shared /run/netns.
	NetNSUnderState bool
	// StreamServerAddress and StreamServerPort are where exec, attach and
	// port-forward streams are served.
	StreamServerAddress string
	StreamServerPort    string

	// RuncRoot is runc's state directory.
	RuncRoot string
	// ShimRuntimePath is the runc shim binary (containerd-shim-runc-v2);
	// empty: the one on containerd's PATH.
	ShimRuntimePath string

	// CNIBinDirs are where the CNI plugins are (at least one; format 2
	// takes exactly one); CNIConfDir holds the network config (required).
	CNIBinDirs []string
	CNIConfDir string
}

// validate checks every field, so that a bad value is refused with its
// name rather than written into a config containerd rejects at start.
func (c Config) validate() error {
	if c.Format != FormatV2 && c.Format != FormatV3 {
		return fmt.Errorf("Format: %d is not a containerd config version this renders: use 2 (containerd 1.6/1.7) or 3 (2.x)", c.Format)
	}
	if err := validateComment(c.Comment); err != nil {
		return err
	}
	for _, field := range []struct {
		name, value string
		required    bool
	}{
		{"Root", c.Root, true}, {"State", c.State, true}, {"GRPCAddress", c.GRPCAddress, true},
		{"CNIConfDir", c.CNIConfDir, true}, {"TTRPCAddress", c.TTRPCAddress, false},
		{"OptDir", c.OptDir, false}, {"ShimSocketDir", c.ShimSocketDir, false},
		{"RegistryConfigDir", c.RegistryConfigDir, false}, {"RuncRoot", c.RuncRoot, false},
		{"ShimRuntimePath", c.ShimRuntimePath, false},
	} {
		if err := validatePath(field.name, field.value, field.required); err != nil {
			return err
		}
	}
	if err := c.validateCNIBinDirs(); err != nil {
		return err
	}
	if c.SandboxImage == "" {
		return fmt.Errorf("SandboxImage: required (the pause image, e.g. registry.k8s.io/pause:3.10)")
	}
	for _, field := range []struct{ name, value string }{
		{"SandboxImage", c.SandboxImage}, {"StreamServerAddress", c.StreamServerAddress},
	} {
		if err := validateValue(field.name, field.value); err != nil {
			return err
		}
	}
	if c.StreamServerPort != "" {
		if port, err := strconv.ParseUint(c.StreamServerPort, 10, 16); err != nil || port > 65535 {
			return fmt.Errorf("StreamServerPort: %q is not a port number (0 to 65535; 0 picks a free one)", c.StreamServerPort)
		}
	}
	if c.ShimSocketDir != "" && c.Format == FormatV2 {
		return fmt.Errorf("ShimSocketDir: format 2 (containerd 1.x) has no shim manager to set it on: use format 3, or leave it empty")
	}
	if len(c.ShimSocketDir) > maxShimSocketDirLen {
		return fmt.Errorf("ShimSocketDir: %q is %d characters, and containerd refuses more than %d: choose a shorter directory", c.ShimSocketDir, len(c.ShimSocketDir), maxShimSocketDirLen)
	}
	return nil
}

func (c Config) validateCNIBinDirs() error {
	switch n := len(c.CNIBinDirs); {
	case n == 0:
		return fmt.Errorf("CNIBinDirs: required (where the CNI plugins are, e.g. /usr/lib/cni)")
	case n > maxCNIBinDirs:
		return fmt.Errorf("CNIBinDirs: %d directories, at most %d", n, maxCNIBinDirs)
	case n > 1 && c.Format == FormatV2:
		return fmt.Errorf("CNIBinDirs: format 2 (containerd 1.x) takes one CNI bin dir, got %d: pick the one holding the plugins, or use format 3", n)
	}
	for i, dir := range c.CNIBinDirs {
		if err := validatePath(fmt.Sprintf("CNIBinDirs[%d]", i), dir, true); err != nil {
			return err
		}
	}
	return nil
}

func validateComment(lines []string) error {
	if len(lines) > maxCommentLines {
		return fmt.Errorf("Comment: %d lines, at most %d", len(lines), maxCommentLines)
	}
	for i, line := range lines {
		if len(line) > maxCommentLen {
			return fmt.Errorf("Comment[%d]: %d characters, at most %d", i, len(line), maxCommentLen)
		}
		if !utf8.ValidString(line) {
			return fmt.Errorf("Comment[%d]: %q is not valid UTF-8", i, line)
		}
		for _, r := range line {
			if (r < 0x20 && r != '\t') || r == 0x7f {
				return fmt.Errorf("Comment[%d]: %q holds a control character; give each line separately", i, line)
			}
		}
	}
	return nil
}

func validatePath(name, path string, required bool) error {
	if path == "" {
		if required {
			return fmt.Errorf("%s: required (an absolute path)", name)
		}
		return nil
	}
	if !filepath.IsAbs(path) {
		return fmt.Errorf("%s: %q is not an absolute path; containerd would resolve it against its own working directory", name, path)
	}
	if len(path) > maxPathLen {
		return fmt.Errorf("%s: %d characters, at most %d", name, len(path), maxPathLen)
	}
	return validateValue(name, path)
}

func validateValue(name, value string) error {
	if len(value) > maxValueLen {
		return fmt.Errorf("%s: %d characters, at most %d", name, len(value), maxValueLen)
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("%s: %q is not valid UTF-8, which TOML cannot hold", name, value)
	}
	return nil
}
