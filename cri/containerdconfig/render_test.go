package containerdconfig

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with what Render gives")

// The configs each writer renders, with the values it passes today.
var (
	// test/testbed/up.sh (containerd 1.6): its live config must not change
	// but for comments, or the next up.sh restarts the shared runtime.
	testbedConfig = Config{
		Format:  FormatV2,
		Comment: []string{"Written by test/testbed/up.sh; edits are overwritten."},
		Root:    "/var/lib/minikubelet-testbed/containerd", State: "/run/minikubelet-testbed/containerd-state",
		GRPCAddress: "/run/minikubelet-testbed/containerd/containerd.sock",
		OptDir:      "/var/lib/minikubelet-testbed/opt", DisableUnusedSnapshotters: true,
		SandboxImage: "127.0.0.1:5000/minikubelet/pause:3.10", RegistryConfigDir: "/var/lib/minikubelet-testbed/certs.d",
		RestrictOOMScoreAdj: true, NetNSUnderState: true, RuncRoot: "/run/minikubelet-testbed/runc",
		CNIBinDirs: []string{"/usr/lib/cni"}, CNIConfDir: "/var/lib/minikubelet-testbed/net.d",
	}
	// test/testbed/containerd2.sh (containerd 2.4).
	testbed2Config = Config{
		Format:  FormatV3,
		Comment: []string{"Written by test/testbed/up.sh containerd2; edits are overwritten."},
		Root:    "/var/lib/minikubelet-testbed/runtimes/containerd2/root", State: "/run/minikubelet-testbed/runtimes/containerd2/state",
		GRPCAddress: "/run/minikubelet-testbed/runtimes/containerd2/containerd.sock",
		OptDir:      "/var/lib/minikubelet-testbed/runtimes/containerd2/opt", ShimSocketDir: "/run/minikubelet-testbed/cd2-shims",
		DisableNRI: true, StreamServerAddress: "127.0.0.1", StreamServerPort: "0",
		SandboxImage: "127.0.0.1:5000/minikubelet/pause:3.10", RegistryConfigDir: "/var/lib/minikubelet-testbed/certs.d",
		RestrictOOMScoreAdj: true, NetNSUnderState: true, RuncRoot: "/run/minikubelet-testbed/runtimes/containerd2/runc",
		ShimRuntimePath: "/var/cache/minikubelet-testbed/containerd2-v2.4.2/bin/containerd-shim-runc-v2",
		CNIBinDirs:      []string{"/usr/lib/cni"}, CNIConfDir: "/var/lib/minikubelet-testbed/runtimes/containerd2/net.d",
	}
	// The agent's managed containerd with the default --root-dir and --run-dir.
	managedConfig = Config{
		Format: FormatV2,
		Comment: []string{"Written by minikubelet at every start; edits are overwritten.",
			"Options: minikubelet run --help (root-dir, run-dir, cni-*, sandbox-image)."},
		Root: "/var/lib/minikubelet/containerd/root", State: "/run/minikubelet/containerd-state",
		GRPCAddress: "/run/minikubelet/containerd.sock", TTRPCAddress: "/run/minikubelet/containerd.sock.ttrpc",
		OptDir: "/var/lib/minikubelet/containerd/opt", DisableUnusedSnapshotters: true, DisableNRI: true,
		SandboxImage: "localhost/minikubelet/pause:0123456789ab", RegistryConfigDir: "/var/lib/minikubelet/containerd/certs.d",
		RestrictOOMScoreAdj: true, NetNSUnderState: true, RuncRoot: "/run/minikubelet/runc",
		CNIBinDirs: []string{"/usr/lib/cni"}, CNIConfDir: "/etc/cni/net.d",
	}
	// An e2e framework private node: no registry (images are imported).
	nodeConfig = Config{
		Format:  FormatV2,
		Comment: []string{"Written by the e2e framework for one test's private node."},
		Root:    "/tmp/node-1/root", State: "/tmp/node-1/state", GRPCAddress: "/tmp/node-1/containerd.sock",
		OptDir: "/tmp/node-1/opt", DisableUnusedSnapshotters: true,
		SandboxImage: "127.0.0.1:5000/minikubelet/pause:3.10", RestrictOOMScoreAdj: true, NetNSUnderState: true,
		RuncRoot: "/tmp/node-1/runc", CNIBinDirs: []string{"/usr/lib/cni"}, CNIConfDir: "/tmp/node-1/net.d",
	}
	// Only what Render requires: every optional section is left out.
	minimalConfig = Config{
		Root: "/r", State: "/s", GRPCAddress: "/g.sock", SandboxImage: "pause:1",
		CNIBinDirs: []string{"/cni/bin"}, CNIConfDir: "/cni/conf",
	}
	// Paths TOML must escape: a quote, a backslash, a tab, non-ASCII.
	oddConfig = Config{
		Comment: []string{"odd paths"},
		Root:    `/var/lib/it's "here"`, State: `/run/back\slash`, GRPCAddress: "/run/tab\there.sock",
		SandboxImage: "example.com/pause:3.10", CNIBinDirs: []string{"/usr/lib/cní"}, CNIConfDir: "/etc/cni/net.d",
	}
)

func withFormat(c Config, format Format) Config {
	c.Format = format
	return c
}

func TestRenderMatchesGoldenFiles(t *testing.T) {
	for _, tc := range []struct {
		golden string
		config Config
	}{
		{"testbed-containerd.toml", testbedConfig},
		{"testbed-containerd2.toml", testbed2Config},
		{"managed.toml", managedConfig},
		{"node.toml", nodeConfig},
		{"minimal-v2.toml", withFormat(minimalConfig, FormatV2)},
		{"minimal-v3.toml", withFormat(minimalConfig, FormatV3)},
		{"odd-v2.toml", withFormat(oddConfig, FormatV2)},
		{"odd-v3.toml", withFormat(oddConfig, FormatV3)},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := Render(tc.config)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cri/containerdconfig -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Render differs from %s (if intended, rerun with -update and review the diff):\n%s", path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// setting is one key containerd must find in one table: a key in the
// wrong table is silently ignored, so checking the text is not enough.
type setting struct{ table, key, value string }

// Where each field lands, per format. Table names and values are given
// without quotes (see lookup).
func expectedSettings(c Config) map[Format][]setting {
	return map[Format][]setting{
		FormatV2: {
			{"", "version", "2"}, {"", "root", c.Root}, {"", "state", c.State},
			{"grpc", "address", c.GRPCAddress}, {"ttrpc", "address", c.TTRPCAddress},
			{"plugins.io.containerd.internal.v1.opt", "path", c.OptDir},
			{"plugins.io.containerd.nri.v1.nri", "disable", "true"},
			{"plugins.io.containerd.grpc.v1.cri", "sandbox_image", c.SandboxImage},
			{"plugins.io.containerd.grpc.v1.cri", "restrict_oom_score_adj", "true"},
			{"plugins.io.containerd.grpc.v1.cri", "netns_mounts_under_state_dir", "true"},
			{"plugins.io.containerd.grpc.v1.cri", "stream_server_address", c.StreamServerAddress},
			{"plugins.io.containerd.grpc.v1.cri", "stream_server_port", c.StreamServerPort},
			{"plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc", "runtime_type", "io.containerd.runc.v2"},
			{"plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc", "runtime_path", c.ShimRuntimePath},
			{"plugins.io.containerd.grpc.v1.cri.containerd.runtimes.runc.options", "Root", c.RuncRoot},
			{"plugins.io.containerd.grpc.v1.cri.cni", "bin_dir", c.CNIBinDirs[0]},
			{"plugins.io.containerd.grpc.v1.cri.cni", "conf_dir", c.CNIConfDir},
			{"plugins.io.containerd.grpc.v1.cri.registry", "config_path", c.RegistryConfigDir},
		},
		FormatV3: {
			{"", "version", "3"}, {"", "root", c.Root}, {"", "state", c.State},
			{"grpc", "address", c.GRPCAddress}, {"ttrpc", "address", c.TTRPCAddress},
			{"plugins.io.containerd.internal.v1.opt", "path", c.OptDir},
			{"plugins.io.containerd.nri.v1.nri", "disable", "true"},
			{"plugins.io.containerd.shim.v1.manager", "socket_dir", c.ShimSocketDir},
			{"plugins.io.containerd.grpc.v1.cri", "stream_server_address", c.StreamServerAddress},
			{"plugins.io.containerd.grpc.v1.cri", "stream_server_port", c.StreamServerPort},
			{"plugins.io.containerd.cri.v1.images.pinned_images", "sandbox", c.SandboxImage},
			{"plugins.io.containerd.cri.v1.images.registry", "config_path", c.RegistryConfigDir},
			{"plugins.io.containerd.cri.v1.runtime", "restrict_oom_score_adj", "true"},
			{"plugins.io.containerd.cri.v1.runtime", "netns_mounts_under_state_dir", "true"},
			{"plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc", "runtime_type", "io.containerd.runc.v2"},
			{"plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc", "runtime_path", c.ShimRuntimePath},
			{"plugins.io.containerd.cri.v1.runtime.containerd.runtimes.runc.options", "Root", c.RuncRoot},
			{"plugins.io.containerd.cri.v1.runtime.cni", "bin_dirs", "[" + strings.Join(c.CNIBinDirs, ", ") + "]"},
			{"plugins.io.containerd.cri.v1.runtime.cni", "conf_dir", c.CNIConfDir},
		},
	}
}

func TestEverySettingLandsInItsTable(t *testing.T) {
	full := testbed2Config
	full.TTRPCAddress = "/run/other.ttrpc"
	for _, format := range []Format{FormatV2, FormatV3} {
		c := withFormat(full, format)
		if format == FormatV2 {
			c.ShimSocketDir = "" // 1.x has no shim manager
		}
		text, err := Render(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range expectedSettings(c)[format] {
			if want.value == "" {
				continue
			}
			if got, ok := lookup(string(text), want.table, want.key); !ok || got != want.value {
				t.Errorf("format %d: [%s] %s = %q (found %v), want %q\n%s", format, want.table, want.key, got, ok, want.value, text)
			}
		}
	}
}

func TestUnsetOptionsWriteNothing(t *testing.T) {
	for _, format := range []Format{FormatV2, FormatV3} {
		text, err := Render(withFormat(minimalConfig, format))
		if err != nil {
			t.Fatal(err)
		}
		for _, absent := range []string{"disabled_plugins", "restrict_oom_score_adj", "netns_mounts_under_state_dir",
			"nri", "v1.opt", "registry", "config_path", "runtime_path", "Root =", "stream_server", "socket_dir"} {
			if strings.Contains(string(text), absent) {
				t.Errorf("format %d without options writes %q:\n%s", format, absent, text)
			}
		}
		if got, _ := lookup(string(text), "ttrpc", "address"); got != "/g.sock.ttrpc" {
			t.Errorf("format %d: ttrpc address %q, want the gRPC socket's + .ttrpc", format, got)
		}
	}
}

func TestRenderRefusesBadConfigs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no format", func(c *Config) { c.Format = 0 }, "Format: 0 is not"},
		{"format 4", func(c *Config) { c.Format = 4 }, "use 2 (containerd 1.6/1.7) or 3 (2.x)"},
		{"no root", func(c *Config) { c.Root = "" }, "Root: required"},
		{"relative state", func(c *Config) { c.State = "run/state" }, `State: "run/state" is not an absolute path`},
		{"no socket", func(c *Config) { c.GRPCAddress = "" }, "GRPCAddress: required"},
		{"no sandbox image", func(c *Config) { c.SandboxImage = "" }, "SandboxImage: required"},
		{"no CNI bin dir", func(c *Config) { c.CNIBinDirs = nil }, "CNIBinDirs: required"},
		{"two CNI bin dirs in format 2", func(c *Config) { c.CNIBinDirs = []string{"/a", "/b"} }, "format 2 (containerd 1.x) takes one CNI bin dir, got 2"},
		{"relative CNI bin dir", func(c *Config) { c.CNIBinDirs = []string{"bin"} }, `CNIBinDirs[0]: "bin" is not an absolute path`},
		{"shim socket dir in format 2", func(c *Config) { c.ShimSocketDir = "/run/s" }, "ShimSocketDir: format 2 (containerd 1.x) has no shim manager"},
		{"long shim socket dir", func(c *Config) {
			c.Format, c.ShimSocketDir = FormatV3, "/run/"+strings.Repeat("x", 40)
		}, "containerd refuses more than 42"},
		{"port not a number", func(c *Config) { c.StreamServerPort = "http" }, `StreamServerPort: "http" is not a port number`},
		{"port too big", func(c *Config) { c.StreamServerPort = "65536" }, "is not a port number"},
		{"comment with a newline", func(c *Config) { c.Comment = []string{"one\nversion = 9"} }, "Comment[0]: \"one\\nversion = 9\" holds a control character"},
		{"too many comment lines", func(c *Config) { c.Comment = make([]string, 9) }, "Comment: 9 lines, at most 8"},
		{"invalid UTF-8", func(c *Config) { c.SandboxImage = "pause\xff" }, "SandboxImage: \"pause\\xff\" is not valid UTF-8"},
		{"path too long", func(c *Config) { c.Root = "/" + strings.Repeat("r", 4095) }, "Root: 4096 characters, at most 4095"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := withFormat(minimalConfig, FormatV2)
			tc.change(&c)
			_, err := Render(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "containerd config: ") {
				t.Errorf("error %q does not say it is about the containerd config", err)
			}
		})
	}
}

// lookup finds key in [table] of a TOML text written as containerd and
// Render write it: one table header or one key = value a line. Quotes are
// dropped from table names and values, so callers name them plainly.
func lookup(text, table, key string) (string, bool) {
	unquote := strings.NewReplacer(`"`, "", `'`, "")
	current := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") && !strings.Contains(line, "=") {
			current = unquote.Replace(strings.Trim(line, "[]"))
			continue
		}
		name, value, found := strings.Cut(line, " = ")
		if found && current == table && name == key {
			return unquote.Replace(value), true
		}
	}
	return "", false
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	wantLines, gotLines := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wantLines), len(gotLines)) && shown < 10; i++ {
		var w, g string
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, w, g)
			shown++
		}
	}
	return b.String()
}
