package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/template"
)

// managedPaths are where the managed containerd keeps everything, derived
// from --root-dir (persistent) and --run-dir (sockets and state, gone at
// reboot). Two agents with different root and run dirs run two containerds
// that share nothing but the CNI plugins and the kernel.
type managedPaths struct {
	Config    string // containerd's config, rewritten at every start
	Log       string // containerd's stdout and stderr
	Root      string // images, snapshots, metadata
	Opt       string // io.containerd.internal.v1.opt
	CertsDir  string // registry host configs (certs.d layout)
	Socket    string // gRPC (CRI) socket
	TTRPC     string // ttrpc socket for shims
	State     string // containerd's state dir: shim bundles, pod netns mounts
	RuncRoot  string // runc's state, apart from any other containerd's
	CNIConf   string // the CNI conf dir containerd reads (the agent writes it)
	CNIBinDir string // where containerd finds CNI plugins
}

func newManagedPaths(opts Options) managedPaths {
	base := filepath.Join(opts.RootDir, "containerd")
	return managedPaths{
		Config:    filepath.Join(base, "config.toml"),
		Log:       filepath.Join(base, "containerd.log"),
		Root:      filepath.Join(base, "root"),
		Opt:       filepath.Join(base, "opt"),
		CertsDir:  filepath.Join(base, "certs.d"),
		Socket:    filepath.Join(opts.RunDir, "containerd.sock"),
		TTRPC:     filepath.Join(opts.RunDir, "containerd.sock.ttrpc"),
		State:     filepath.Join(opts.RunDir, "containerd-state"),
		RuncRoot:  filepath.Join(opts.RunDir, "runc"),
		CNIConf:   opts.CNIConfDir,
		CNIBinDir: cniBinDirWith(opts.CNIBinDirs, "bridge"),
	}
}

// endpoint is the CRI endpoint of the managed containerd.
func (p managedPaths) endpoint() string { return "unix://" + p.Socket }

// cniBinDirWith picks the first of dirs that holds plugin: containerd 1.6
// takes a single bin_dir, the agent a search path.
func cniBinDirWith(dirs []string, plugin string) string {
	for _, dir := range dirs {
		if info, err := os.Stat(filepath.Join(dir, plugin)); err == nil && !info.IsDir() {
			return dir
		}
	}
	if len(dirs) > 0 {
		return dirs[0]
	}
	return "/usr/lib/cni"
}

// containerdConfigTemplate is a containerd 1.6/1.7 (version 2) config; 2.x
// migrates it on load. %q-style quoting comes from the quote function,
// because paths may hold characters TOML strings must escape.
var containerdConfigTemplate = template.Must(template.New("containerd").Funcs(template.FuncMap{"quote": strconv.Quote}).Parse(
	`# Written by minikubelet at every start; edits are overwritten.
# Options: minikubelet run --help (root-dir, run-dir, cni-*, sandbox-image).
version = 2
root = {{quote .Paths.Root}}
state = {{quote .Paths.State}}
# Snapshotters that need kernel modules or tools most hosts lack only add
# errors to the log.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = {{quote .Paths.Socket}}

[ttrpc]
  address = {{quote .Paths.TTRPC}}

[plugins."io.containerd.internal.v1.opt"]
  path = {{quote .Paths.Opt}}

# containerd 1.7+ NRI would share /var/run/nri/nri.sock with a system
# containerd; 1.6 ignores the section.
[plugins."io.containerd.nri.v1.nri"]
  disable = true

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = {{quote .SandboxImage}}
  # Without CAP_SYS_RESOURCE (containers, some VMs) a negative
  # oom_score_adj makes runc fail with "can't get final child's PID from
  # pipe: EOF"; restricting it to the runtime's own value avoids that.
  restrict_oom_score_adj = true
  # Pod network namespaces under our state dir, not the shared /run/netns.
  netns_mounts_under_state_dir = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = {{quote .Paths.RuncRoot}}
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = {{quote .Paths.CNIBinDir}}
    conf_dir = {{quote .Paths.CNIConf}}
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = {{quote .Paths.CertsDir}}
`))

// renderContainerdConfig returns the managed containerd's config file.
func renderContainerdConfig(paths managedPaths, sandboxImage string) ([]byte, error) {
	var buf bytes.Buffer
	err := containerdConfigTemplate.Execute(&buf, struct {
		Paths        managedPaths
		SandboxImage string
	}{paths, sandboxImage})
	if err != nil {
		return nil, fmt.Errorf("rendering the managed containerd config: %w", err)
	}
	return buf.Bytes(), nil
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

// writeManagedFiles writes the config and one hosts.toml per insecure
// registry, and creates every directory containerd expects. It reports
// whether the config file changed, which needs a containerd restart.
func writeManagedFiles(paths managedPaths, config []byte, insecureRegistries []string) (changed bool, err error) {
	for _, dir := range []string{filepath.Dir(paths.Config), paths.Root, paths.CertsDir, filepath.Dir(paths.Socket), paths.CNIConf} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, fmt.Errorf("creating the managed containerd's directory: %w", err)
		}
	}
	for _, registry := range insecureRegistries {
		if _, err := writeIfChanged(filepath.Join(paths.CertsDir, registry, "hosts.toml"), renderHostsTOML(registry)); err != nil {
			return false, err
		}
	}
	return writeIfChanged(paths.Config, config)
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
