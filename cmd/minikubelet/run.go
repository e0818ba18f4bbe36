package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/minikubelet/minikubelet/kubelet/agent"
)

func newRunCommand() *cobra.Command {
	opts := agent.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent: keep the runtime's pods equal to the manifest directory",
		Long: `Run watches the manifest directory and runs every v1 Pod manifest in it
through the CRI runtime, like the kubelet does for static pods. Stopping the
agent (SIGTERM, Ctrl-C) leaves the pods running; the next start adopts them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return agent.Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.ManifestDir, "manifest-dir", opts.ManifestDir, "directory of static pod manifests (YAML or JSON v1 Pods)")
	f.StringVar(&opts.RuntimeEndpoint, "runtime-endpoint", opts.RuntimeEndpoint, "CRI runtime socket, e.g. unix:///run/containerd/containerd.sock (empty: detect)")
	f.StringVar(&opts.RootDir, "root-dir", opts.RootDir, "directory for pod volumes and agent state")
	f.StringVar(&opts.PodLogDir, "pod-log-dir", opts.PodLogDir, "directory for container logs")
	f.StringVar(&opts.NodeName, "node-name", opts.NodeName, "this node's name (default: hostname)")
	f.StringVar(&opts.Listen, "listen", opts.Listen, "address of the agent's HTTP API (health, pods, logs, metrics)")
	f.StringVar(&opts.CgroupParent, "cgroup-parent", opts.CgroupParent, "parent cgroup of every pod's cgroup (empty: runtime's default)")
	f.DurationVar(&opts.RelistPeriod, "relist-period", opts.RelistPeriod, "how often the runtime is relisted to notice container changes")
	f.DurationVar(&opts.ManifestRelist, "manifest-relist-period", opts.ManifestRelist, "how often the manifest directory is fully re-read")
	f.BoolVar(&opts.ManageNetwork, "manage-network", opts.ManageNetwork, "write and repair the runtime's CNI config and release leaked pod IPs")
	f.StringVar(&opts.PodCIDR, "pod-cidr", opts.PodCIDR, "this node's pod IP range")
	f.StringVar(&opts.ClusterCIDR, "cluster-cidr", opts.ClusterCIDR, "range of every node's pods, not masqueraded (default: --pod-cidr)")
	f.StringVar(&opts.BridgeName, "bridge-name", opts.BridgeName, "Linux bridge the pods attach to")
	f.StringVar(&opts.CNIConfDir, "cni-conf-dir", opts.CNIConfDir, "the runtime's CNI config directory")
	f.StringSliceVar(&opts.CNIBinDirs, "cni-bin-dir", opts.CNIBinDirs, "directories searched for CNI plugins")
	f.StringVar(&opts.CNICacheDir, "cni-cache-dir", opts.CNICacheDir, "libcni's cache directory (the runtime's)")
	f.StringVar(&opts.CNIDataDir, "cni-data-dir", opts.CNIDataDir, "host-local IPAM data directory (default: host-local's)")
	f.Var(&opts.Peers, "peer", "another node of the flat pod network, NODE_IP=POD_CIDR (repeatable)")
	f.StringVar(&opts.ContainerLogMaxSize, "container-log-max-size", opts.ContainerLogMaxSize, "rotate a container's log when it grows past this size")
	f.IntVar(&opts.ContainerLogMaxFiles, "container-log-max-files", opts.ContainerLogMaxFiles, "log files kept per container, the live one included")
	f.StringVar(&opts.LogLevel, "log-level", opts.LogLevel, "debug, info, warn or error")
	f.StringVar(&opts.LogFormat, "log-format", opts.LogFormat, "text or json")
	if host, err := os.Hostname(); err == nil && opts.NodeName == "" {
		opts.NodeName = host
	}
	return cmd
}
