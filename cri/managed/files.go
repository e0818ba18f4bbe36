package managed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/minikubelet/minikubelet/cri/containerdconfig"
)

// renderConfig is the managed containerd's config file: format 2, which
// containerd 1.6 and 1.7 read and 2.x migrates at start.
func renderConfig(p paths, sandboxImage string) ([]byte, error) {
	config, err := containerdconfig.Render(containerdconfig.Config{
		Format: containerdconfig.FormatV2,
		Comment: []string{
			"Written by minikubelet at every start; edits are overwritten.",
			"Options: minikubelet run --help (root-dir, run-dir, cni-*, sandbox-image).",
		},
		Root: p.Root, State: p.State, GRPCAddress: p.Socket, TTRPCAddress: p.TTRPC, OptDir: p.Opt,
		DisableUnusedSnapshotters: true,
		// containerd 1.7+ would share NRI's socket with a system containerd.
		DisableNRI:   true,
		SandboxImage: sandboxImage, RegistryConfigDir: p.CertsDir,
		RestrictOOMScoreAdj: true, NetNSUnderState: true, RuncRoot: p.RuncRoot,
		CNIBinDirs: []string{p.CNIBinDir}, CNIConfDir: p.CNIConf,
	})
	if err != nil {
		return nil, fmt.Errorf("rendering the managed containerd's config (check --root-dir, --run-dir, --cni-* and --sandbox-image): %w", err)
	}
	return config, nil
}

// renderHostsTOML is containerd's certs.d/HOST/hosts.toml that lets it pull
// from registry over plain HTTP.
func renderHostsTOML(registry string) []byte {
	server := strconv.Quote("http://" + registry)
	return []byte("# Written by minikubelet (--insecure-registry): pull over plain HTTP.\n" +
		"server = " + server + "\n\n" +
		"[host." + server + "]\n" +
		"  capabilities = [\"pull\", \"resolve\"]\n")
}

// writeFiles writes the config and one hosts.toml per insecure registry,
// and creates every directory containerd expects. It reports whether the
// config file changed, which needs a containerd restart.
func writeFiles(p paths, config []byte, insecureRegistries []string) (changed bool, err error) {
	for _, dir := range []string{filepath.Dir(p.Config), p.Root, p.CertsDir, filepath.Dir(p.Socket), p.CNIConf} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, fmt.Errorf("creating the managed containerd's directory: %w", err)
		}
	}
	for _, registry := range insecureRegistries {
		if _, err := writeIfChanged(filepath.Join(p.CertsDir, registry, "hosts.toml"), renderHostsTOML(registry)); err != nil {
			return false, err
		}
	}
	return writeIfChanged(p.Config, config)
}

// writeIfChanged atomically replaces path with content unless it already
// holds exactly that.
func writeIfChanged(path string, content []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	return true, nil
}
