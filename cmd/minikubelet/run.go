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
	f.StringVar(&opts.LogLevel, "log-level", opts.LogLevel, "debug, info, warn or error")
	f.StringVar(&opts.LogFormat, "log-format", opts.LogFormat, "text or json")
	if host, err := os.Hostname(); err == nil && opts.NodeName == "" {
		opts.NodeName = host
	}
	return cmd
}
