package containerdconfig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestContainerdLoadsEveryFormatItReads hands the rendered config to each
// containerd on this machine. `containerd config dump` parses the file,
// migrates it to the binary's newest format and prints the effective
// config, starting nothing; every setting must be found in the table that
// version reads, since containerd ignores a key in the wrong table. 1.x
// reads format 2; 2.x reads format 3 and migrates format 2, which the
// managed containerd relies on.
func TestContainerdLoadsEveryFormatItReads(t *testing.T) {
	binaries := containerdBinaries()
	if len(binaries) == 0 {
		t.Skip("no containerd on PATH nor in the test bed's build cache (test/testbed/build.sh)")
	}
	for _, binary := range binaries {
		major := containerdMajorVersion(t, binary)
		formats := []Format{FormatV2}
		if major >= 2 {
			formats = append(formats, FormatV3)
		}
		for _, format := range formats {
			t.Run(fmt.Sprintf("containerd%d.x/format%d", major, format), func(t *testing.T) {
				c := withFormat(testbed2Config, format)
				if format == FormatV2 {
					c.ShimSocketDir = ""
				}
				dump := dumpConfig(t, binary, c)
				for _, want := range dumpedSettings(c, major) {
					if want.value == "" {
						continue
					}
					if got, ok := lookup(dump, want.table, want.key); !ok || got != want.value {
						t.Errorf("containerd %d.x loads [%s] %s = %q (found %v), want %q", major, want.table, want.key, got, ok, want.value)
					}
				}
			})
		}
	}
}

// dumpedSettings is where containerd's dump shows c's settings: 1.x as
// written in format 2; 2.x in its newest format, whose CRI tables are
// format 3's and whose sockets are the server plugins'.
func dumpedSettings(c Config, major int) []setting {
	if major < 2 {
		var kept []setting
		for _, s := range expectedSettings(c)[FormatV2] {
			// 1.6 has no NRI: the section is dropped.
			if s.table != "plugins.io.containerd.nri.v1.nri" {
				kept = append(kept, s)
			}
		}
		return kept
	}
	var moved []setting
	for _, s := range expectedSettings(c)[FormatV3] {
		switch {
		case s.key == "version":
			continue
		case s.table == "grpc":
			s.table = "plugins.io.containerd.server.v1.grpc"
		case s.table == "ttrpc":
			s.table = "plugins.io.containerd.server.v1.ttrpc"
		}
		moved = append(moved, s)
	}
	return moved
}

// containerdBinaries are the containerd on PATH and those the test bed
// builds (test/testbed/lib.sh: BUILD_CACHE/containerd2-VERSION/bin).
func containerdBinaries() []string {
	var binaries []string
	if path, err := exec.LookPath("containerd"); err == nil {
		binaries = append(binaries, path)
	}
	cache := os.Getenv("TESTBED_BUILD_CACHE")
	if cache == "" {
		cache = "/var/cache/minikubelet-testbed"
	}
	built, _ := filepath.Glob(filepath.Join(cache, "containerd2-*", "bin", "containerd"))
	return append(binaries, built...)
}

var versionPattern = regexp.MustCompile(`\s[v~]?(\d+)\.\d+\.\d+`)

func containerdMajorVersion(t *testing.T, binary string) int {
	t.Helper()
	out, err := exec.Command(binary, "--version").Output()
	match := versionPattern.FindSubmatch(out)
	if err != nil || match == nil {
		t.Fatalf("%s --version: %v: %s", binary, err, out)
	}
	major, _ := strconv.Atoi(string(match[1]))
	return major
}

func dumpConfig(t *testing.T, binary string, c Config) string {
	t.Helper()
	text, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, binary, "--config", file, "config", "dump")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s config dump: %v\n%s\nconfig:\n%s", binary, err, stderr.String(), text)
	}
	return string(out)
}
