package managed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testConfig(t *testing.T) Config {
	t.Helper()
	base := t.TempDir()
	return Config{
		RootDir:    filepath.Join(base, "root"),
		RunDir:     filepath.Join(base, "run"),
		CNIConfDir: filepath.Join(base, "net.d"),
		CNIBinDirs: []string{"/usr/lib/cni"},
	}
}

func TestContainerdConfigSeparatesEverythingAndRestrictsOOMScore(t *testing.T) {
	cfg := testConfig(t)
	config, err := renderConfig(newPaths(cfg), "localhost/minikubelet/pause:abc")
	if err != nil {
		t.Fatal(err)
	}
	text := string(config)
	for _, want := range []string{
		// The runc failure this host has without it is in runtime.md.
		"restrict_oom_score_adj = true",
		`sandbox_image = "localhost/minikubelet/pause:abc"`,
		// A second containerd beside the system's must share none of these.
		`root = "` + cfg.RootDir + `/containerd/root"`,
		`state = "` + cfg.RunDir + `/containerd-state"`,
		`address = "` + cfg.RunDir + `/containerd.sock"`,
		`address = "` + cfg.RunDir + `/containerd.sock.ttrpc"`,
		`path = "` + cfg.RootDir + `/containerd/opt"`,
		`Root = "` + cfg.RunDir + `/runc"`,
		"netns_mounts_under_state_dir = true",
		"[plugins.\"io.containerd.nri.v1.nri\"]\n  disable = true",
		// Overriding the runc runtime needs both, or RunPodSandbox fails.
		`runtime_type = "io.containerd.runc.v2"`,
		`default_runtime_name = "runc"`,
		`conf_dir = "` + cfg.CNIConfDir + `"`,
		`config_path = "` + cfg.RootDir + `/containerd/certs.d"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("config lacks %s\n%s", want, text)
		}
	}
}

func TestContainerdConfigErrorNamesTheFlags(t *testing.T) {
	cfg := testConfig(t)
	cfg.RunDir = "run" // relative: containerd would resolve it against its own cwd
	_, err := renderConfig(newPaths(cfg), "pause:1")
	if err == nil || !strings.Contains(err.Error(), "--run-dir") || !strings.Contains(err.Error(), "not an absolute path") {
		t.Fatalf("error %v, want one naming --run-dir and the absolute path", err)
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

func TestWriteFilesReportsConfigChanges(t *testing.T) {
	p := newPaths(testConfig(t))
	changed, err := writeFiles(p, []byte("one"), []string{"127.0.0.1:5000"})
	if err != nil || !changed {
		t.Fatalf("first write: changed %v, err %v", changed, err)
	}
	if changed, err = writeFiles(p, []byte("one"), nil); err != nil || changed {
		t.Fatalf("same config: changed %v, err %v", changed, err)
	}
	if changed, err = writeFiles(p, []byte("two"), nil); err != nil || !changed {
		t.Fatalf("new config: changed %v, err %v", changed, err)
	}
	hosts, err := os.ReadFile(filepath.Join(p.CertsDir, "127.0.0.1:5000", "hosts.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hosts), `server = "http://127.0.0.1:5000"`) || !strings.Contains(string(hosts), `[host."http://127.0.0.1:5000"]`) {
		t.Errorf("hosts.toml does not allow plain HTTP:\n%s", hosts)
	}
	for _, dir := range []string{p.Root, filepath.Dir(p.Socket), p.CNIConf} {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			t.Errorf("directory %s not created: %v", dir, err)
		}
	}
}
