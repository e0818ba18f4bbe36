package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/minikubelet/minikubelet/cri/containerdconfig"
)

// newContainerdConfigCommand prints a containerd config.toml from the same
// renderer the managed containerd uses. It is for the test bed's scripts
// (test/testbed/up.sh, containerd2.sh), so it is hidden from the command
// list; README's "Test bed" section documents it.
func newContainerdConfigCommand() *cobra.Command {
	var cfg containerdconfig.Config
	var format int
	cmd := &cobra.Command{
		Use:   "containerd-config [flags]",
		Short: "Print a containerd config.toml (for the test bed's scripts)",
		Long: `containerd-config prints the config.toml of a containerd run beside any
other: every flag is a field of cri/containerdconfig.Config, and no file is
read or written. --format 2 is for containerd 1.6 and 1.7, 3 for 2.x.
Settings whose flag is not given keep containerd's default.`,
		Example: `  minikubelet containerd-config --root /var/lib/x/root --state /run/x/state \
    --grpc-address /run/x/containerd.sock --sandbox-image registry.k8s.io/pause:3.10 \
    --cni-bin-dir /usr/lib/cni --cni-conf-dir /etc/cni/net.d --restrict-oom-score-adj`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Format = containerdconfig.Format(format)
			config, err := containerdconfig.Render(cfg)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(config)
			return err
		},
	}
	cmd.Flags().IntVar(&format, "format", int(containerdconfig.FormatV2), "config format version: 2 (containerd 1.6/1.7) or 3 (2.x)")
	addContainerdConfigFlags(cmd.Flags(), &cfg)
	return cmd
}

// addContainerdConfigFlags binds one flag to each field but Format.
func addContainerdConfigFlags(f *pflag.FlagSet, cfg *containerdconfig.Config) {
	// StringArray, not StringSlice: a comment may hold commas.
	f.StringArrayVar(&cfg.Comment, "comment", nil, "a line for the file's head (repeat for more)")
	f.StringVar(&cfg.Root, "root", "", "containerd's root: images, snapshots, metadata (required)")
	f.StringVar(&cfg.State, "state", "", "containerd's state dir: shim bundles, pod network namespaces (required)")
	f.StringVar(&cfg.GRPCAddress, "grpc-address", "", "the CRI socket (required)")
	f.StringVar(&cfg.TTRPCAddress, "ttrpc-address", "", "the shims' socket (default: --grpc-address + .ttrpc)")
	f.StringVar(&cfg.OptDir, "opt-dir", "", "the opt plugin's path (default: containerd's /opt/containerd)")
	f.StringVar(&cfg.ShimSocketDir, "shim-socket-dir", "", "where shims put their sockets, at most 42 characters (format 3)")
	f.BoolVar(&cfg.DisableUnusedSnapshotters, "disable-unused-snapshotters", false, "disable the aufs, btrfs, devmapper and zfs snapshotters")
	f.BoolVar(&cfg.DisableNRI, "disable-nri", false, "turn NRI off, whose default socket every containerd on the host shares")
	f.StringVar(&cfg.SandboxImage, "sandbox-image", "", "the pause image (required)")
	f.StringVar(&cfg.RegistryConfigDir, "registry-config-dir", "", "the certs.d directory of per-registry hosts.toml files")
	f.BoolVar(&cfg.RestrictOOMScoreAdj, "restrict-oom-score-adj", false, "keep containers' oom_score_adj at or above containerd's (hosts without CAP_SYS_RESOURCE need it)")
	f.BoolVar(&cfg.NetNSUnderState, "netns-under-state", false, "mount pod network namespaces under --state, not /run/netns")
	f.StringVar(&cfg.StreamServerAddress, "stream-server-address", "", "address of the exec, attach and port-forward stream server")
	f.StringVar(&cfg.StreamServerPort, "stream-server-port", "", "its port (0: a free one)")
	f.StringVar(&cfg.RuncRoot, "runc-root", "", "runc's state directory")
	f.StringVar(&cfg.ShimRuntimePath, "shim-runtime-path", "", "the runc shim binary (default: containerd-shim-runc-v2 on containerd's PATH)")
	f.StringArrayVar(&cfg.CNIBinDirs, "cni-bin-dir", nil, "where the CNI plugins are (required; repeat for more with format 3)")
	f.StringVar(&cfg.CNIConfDir, "cni-conf-dir", "", "the CNI network config directory (required)")
}
