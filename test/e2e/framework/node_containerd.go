package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// nodeContainerdConfig is the test bed's containerd 1.6 config (see
// test/testbed/up.sh) with every path that two containerds must not share
// moved under the node's directory: sockets, root, state, opt, runc root,
// CNI conf dir. The registry is not reachable from the node's namespace,
// so the images are imported instead (importImages).
var nodeContainerdConfig = template.Must(template.New("config.toml").Parse(`# Written by the e2e framework for one test's private node.
version = 2
root = "{{.Dir}}/root"
state = "{{.Dir}}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "{{.Socket}}"

[ttrpc]
  address = "{{.Socket}}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{{.Dir}}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{.PauseImage}}"
  # No CAP_SYS_RESOURCE here: a negative oom_score_adj breaks runc.
  restrict_oom_score_adj = true
  # Pod network namespaces under the node's state dir, so teardown finds
  # them and the host's /run/netns stays clean.
  netns_mounts_under_state_dir = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "{{.Dir}}/runc"
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{{.CNIBinDir}}"
    conf_dir = "{{.CNIConfDir}}"
    max_conf_num = 1
`))

func (n *Node) writeContainerdConfig(env *Env) error {
	for _, dir := range []string{n.CNIConfDir, n.CNIDataDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	var config strings.Builder
	err := nodeContainerdConfig.Execute(&config, map[string]string{
		"Dir": n.Dir, "Socket": n.Socket, "PauseImage": env.PauseImage,
		"CNIBinDir": env.CNIBinDir, "CNIConfDir": n.CNIConfDir,
	})
	if err != nil {
		return fmt.Errorf("rendering the node's containerd config: %w", err)
	}
	return os.WriteFile(filepath.Join(n.Dir, "config.toml"), []byte(config.String()), 0o644)
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
		if err := RunErr("ctr", "--address", n.Socket, "--namespace", "k8s.io", "images", "import", archive); err != nil {
			return fmt.Errorf("importing %s into the node's containerd: %w", image, err)
		}
		if err := os.Remove(archive); err != nil {
			return err
		}
	}
	return nil
}
