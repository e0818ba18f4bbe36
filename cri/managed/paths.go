package managed

import (
	"os"
	"path/filepath"
)

// paths are where the managed containerd keeps everything, derived from
// RootDir (persistent) and RunDir (sockets and state, gone at reboot). Two
// agents with different root and run dirs run two containerds that share
// nothing but the CNI plugins and the kernel.
type paths struct {
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

func newPaths(cfg Config) paths {
	base := filepath.Join(cfg.RootDir, "containerd")
	return paths{
		Config:    filepath.Join(base, "config.toml"),
		Log:       filepath.Join(base, "containerd.log"),
		Root:      filepath.Join(base, "root"),
		Opt:       filepath.Join(base, "opt"),
		CertsDir:  filepath.Join(base, "certs.d"),
		Socket:    cfg.Socket(),
		TTRPC:     filepath.Join(cfg.RunDir, "containerd.sock.ttrpc"),
		State:     filepath.Join(cfg.RunDir, "containerd-state"),
		RuncRoot:  filepath.Join(cfg.RunDir, "runc"),
		CNIConf:   cfg.CNIConfDir,
		CNIBinDir: cniBinDirWith(cfg.CNIBinDirs, "bridge"),
	}
}

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
