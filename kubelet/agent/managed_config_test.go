package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testManagedOptions(t *testing.T) Options {
	t.Helper()
	base := t.TempDir()
	opts := DefaultOptions()
	opts.RootDir = filepath.Join(base, "root")
	opts.RunDir = filepath.Join(base, "run")
	opts.CNIConfDir = filepath.Join(base, "net.d")
	return opts
}

func TestContainerdConfigSeparatesEverythingAndRestrictsOOMScore(t *testing.T) {
	opts := testManagedOptions(t)
	paths := newManagedPaths(opts)
	config, err := renderContainerdConfig(paths, "localhost/minikubelet/pause:abc")
	if err != nil {
		t.Fatal(err)
	}
	text := string(config)
	for _, want := range []string{
		// The runc failure this host has without it is in runtime.md.
		"restrict_oom_score_adj = true",
		`sandbox_image = "localhost/minikubelet/pause:abc"`,
		// A second containerd beside the system's must share none of these.
		`root = "` + opts.RootDir + `/containerd/root"`,
		`state = "` + opts.RunDir + `/containerd-state"`,
		`address = "` + opts.RunDir + `/containerd.sock"`,
		`address = "` + opts.RunDir + `/containerd.sock.ttrpc"`,
		`path = "` + opts.RootDir + `/containerd/opt"`,
		`Root = "` + opts.RunDir + `/runc"`,
		"netns_mounts_under_state_dir = true",
		// Overriding the runc runtime needs both, or RunPodSandbox fails.
		`runtime_type = "io.containerd.runc.v2"`,
		`default_runtime_name = "runc"`,
		`conf_dir = "` + opts.CNIConfDir + `"`,
		`config_path = "` + opts.RootDir + `/containerd/certs.d"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %s\n%s", want, text)
		}
	}
}

func TestCNIBinDirIsTheFirstWithTheBridgePlugin(t *testing.T) {
	empty, withBridge := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(withBridge, "bridge"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := cniBinDirWith([]string{empty, withBridge}, "bridge"); got != withBridge {
		t.Errorf("got %s, want %s", got, withBridge)
	}
	if got := cniBinDirWith([]string{empty}, "bridge"); got != empty {
		t.Errorf("without any bridge plugin got %s, want the first dir %s", got, empty)
	}
}

func TestWriteManagedFilesReportsConfigChanges(t *testing.T) {
	paths := newManagedPaths(testManagedOptions(t))
	changed, err := writeManagedFiles(paths, []byte("one"), []string{"127.0.0.1:5000"})
	if err != nil || !changed {
		t.Fatalf("first write: changed %v, err %v", changed, err)
	}
	if changed, err = writeManagedFiles(paths, []byte("one"), nil); err != nil || changed {
		t.Fatalf("same config: changed %v, err %v", changed, err)
	}
	if changed, err = writeManagedFiles(paths, []byte("two"), nil); err != nil || !changed {
		t.Fatalf("new config: changed %v, err %v", changed, err)
	}
	hosts, err := os.ReadFile(filepath.Join(paths.CertsDir, "127.0.0.1:5000", "hosts.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hosts), `server = "http://127.0.0.1:5000"`) || !strings.Contains(string(hosts), `[host."http://127.0.0.1:5000"]`) {
		t.Errorf("hosts.toml does not allow plain HTTP:\n%s", hosts)
	}
	for _, dir := range []string{paths.Root, filepath.Dir(paths.Socket), paths.CNIConf} {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			t.Errorf("directory %s not created: %v", dir, err)
		}
	}
}
