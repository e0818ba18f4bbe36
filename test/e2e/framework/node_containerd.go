package framework

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/minikubelet/minikubelet/cri/containerdconfig"
)

// writeContainerdConfig writes the node's config.toml: the test bed's
// containerd 1.6 settings (see test/testbed/up.sh) with every path that two
// containerds must not share under the node's directory: sockets, root,
// state, opt, runc root, CNI conf dir. The registry is not reachable from
// the node's namespace, so it has no registry config and the images are
// imported instead (importImages). A containerd 2 node
// (NodeConfig.ContainerdBinDir) gets the test bed's containerd2 settings
// (test/testbed/containerd2.sh) in 2's own format: its own shim (the PATH
// has Debian's 1.6 one), the shims' sockets in the node's directory, NRI
// off.
func (n *Node) writeContainerdConfig(env *Env) error {
	for _, dir := range []string{n.CNIConfDir, n.CNIDataDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	cfg := containerdconfig.Config{
		Format:  containerdconfig.FormatV2,
		Comment: []string{"Written by the e2e framework for one test's private node."},
		Root:    filepath.Join(n.Dir, "root"), State: filepath.Join(n.Dir, "state"),
		GRPCAddress: n.Socket, OptDir: filepath.Join(n.Dir, "opt"), DisableUnusedSnapshotters: true,
		SandboxImage: env.PauseImage, RestrictOOMScoreAdj: true, NetNSUnderState: true,
		RuncRoot: filepath.Join(n.Dir, "runc"), CNIBinDirs: []string{n.CNIBinDir}, CNIConfDir: n.CNIConfDir,
	}
	if n.ContainerdBinDir != "" {
		cfg.Format = containerdconfig.FormatV3
		cfg.ShimSocketDir = filepath.Join(n.Dir, "shims")
		cfg.ShimRuntimePath = filepath.Join(n.ContainerdBinDir, "containerd-shim-runc-v2")
		cfg.DisableNRI = true
		cfg.StreamServerAddress, cfg.StreamServerPort = "127.0.0.1", "0"
	}
	config, err := containerdconfig.Render(cfg)
	if err != nil {
		return fmt.Errorf("rendering the node's containerd config: %w", err)
	}
	return os.WriteFile(filepath.Join(n.Dir, "config.toml"), config, 0o644)
}

// importImages copies the pause and kubia images from the test bed's
// registry into the node's containerd (skopeo from the host, where the
// registry answers; ctr into the node's k8s.io namespace, where CRI looks).
func (n *Node) importImages(env *Env) error {
	for i, image := range []string{env.PauseImage, env.KubiaImage} {
		archive := filepath.Join(n.Dir, fmt.Sprintf("image-%d.tar", i))
		if err := RunErr("skopeo", "copy", "--quiet", "--src-tls-verify=false",
			"docker://"+image, "docker-archive:"+archive+":"+image); err != nil {
			return fmt.Errorf("exporting %s from the test bed's registry: %w", image, err)
		}
		if err := RunErr(n.containerdBinary("ctr"), "--address", n.Socket, "--namespace", "k8s.io", "images", "import", archive); err != nil {
			return fmt.Errorf("importing %s into the node's containerd: %w", image, err)
		}
		if err := os.Remove(archive); err != nil {
			return err
		}
	}
	return nil
}

// containerdBinary is the path of one of the node's containerd programs
// (containerd, ctr): the containerd 2 build's, or the PATH's 1.6.
func (n *Node) containerdBinary(name string) string {
	if n.ContainerdBinDir == "" {
		return name
	}
	return filepath.Join(n.ContainerdBinDir, name)
}

// runtimeName is the test bed's name of the node's runtime.
func (n *Node) runtimeName() string {
	if n.ContainerdBinDir == "" {
		return "containerd"
	}
	return "containerd2"
}
