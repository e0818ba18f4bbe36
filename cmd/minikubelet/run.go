package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/kubelet/agent"
)

func newRunCommand() *cobra.Command {
	opts := agent.DefaultOptions()
	var configFile string
	var verbosity int
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the agent: keep the runtime's pods equal to the manifest directory",
		Long: `Run watches the manifest directory and runs every v1 Pod manifest in it
through the CRI runtime, like the kubelet does for static pods. Stopping the
agent (SIGTERM, Ctrl-C) leaves the pods running; the next start adopts them.

Without --runtime-endpoint, when no runtime answers at the usual sockets, it
starts a containerd of its own (--managed-runtime) and leaves it running
across restarts unless --stop-runtime-on-exit is set.

With --kubeconfig, it also joins a Kubernetes cluster as node --node-name:
it registers the Node (addresses, capacity, nodeInfo, conditions), renews
its Lease in kube-node-lease every 10s and keeps its status current. That
kubeconfig is the CLUSTER's, holding this node's credentials (a client
certificate for system:node:NAME in group system:nodes); it is not the
agent's own ROOT-DIR/admin.kubeconfig that the other commands' --kubeconfig
reads. Pods still come from the manifest directory only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			effective, err := resolveRunOptions(cmd.Flags(), opts, configFile, verbosity)
			if err != nil {
				return err
			}
			return agent.Run(cmd.Context(), effective)
		},
	}
	addRunFlags(cmd.Flags(), &opts)
	cmd.Flags().StringVar(&configFile, "config", "", "YAML config file whose fields are these flags in camelCase (manifestDir, ...); flags given on the command line override it")
	cmd.Flags().IntVar(&verbosity, "v", 0, "kubelet-style verbosity: 4 or more logs at debug level (overrides --log-level)")
	if host, err := os.Hostname(); err == nil && opts.NodeName == "" {
		opts.NodeName = host
	}
	return cmd
}

// addRunFlags binds every option of `minikubelet run` to a flag; it is
// called twice when a config file is used (see resolveRunOptions).
func addRunFlags(f *pflag.FlagSet, opts *agent.Options) {
	f.StringVar(&opts.ManifestDir, "manifest-dir", opts.ManifestDir, "directory of static pod manifests (YAML or JSON v1 Pods)")
	f.StringVar(&opts.RuntimeEndpoint, "runtime-endpoint", opts.RuntimeEndpoint, "CRI runtime socket, e.g. unix:///run/containerd/containerd.sock (empty: detect)")
	f.StringVar(&opts.RootDir, "root-dir", opts.RootDir, "directory for pod volumes and agent state")
	f.StringVar(&opts.PodLogDir, "pod-log-dir", opts.PodLogDir, "directory for container logs")
	f.StringVar(&opts.NodeName, "node-name", opts.NodeName, "this node's name (default: hostname)")
	f.StringVar(&opts.Listen, "listen", opts.Listen, "address of the agent's HTTPS API (kubectl's pod verbs, logs, port-forward, metrics): HOST:PORT or unix:///PATH; beyond loopback it needs --tls-cert-file. Every request but /healthz needs the token; ROOT-DIR/admin.kubeconfig holds it")
	f.StringVar(&opts.Kubeconfig, "kubeconfig", opts.Kubeconfig, "join the Kubernetes cluster of this kubeconfig (the cluster API server's, with this node's credentials, e.g. a client certificate for system:node:NAME) as node --node-name. Not ROOT-DIR/admin.kubeconfig, the agent's own API that the other commands' --kubeconfig means. Empty: standalone")
	f.StringVar(&opts.NodeIP, "node-ip", opts.NodeIP, "the Node's InternalIP in the cluster (with --kubeconfig; default: the IP of the interface holding the default route)")
	f.Int32Var(&opts.KubeletPort, "kubelet-port", opts.KubeletPort, "with --kubeconfig: the port (on every address) of the node endpoint the cluster's API server reaches for kubectl logs/exec/attach/port-forward, reported in the Node; it takes client certificates of --client-ca-file and authorizes them by SubjectAccessReview")
	f.StringVar(&opts.ClientCAFile, "client-ca-file", opts.ClientCAFile, "with --kubeconfig: CA bundle (PEM) the node endpoint verifies client certificates (kube-apiserver's --kubelet-client-certificate) against (default: the kubeconfig's CA)")
	f.StringVar(&opts.TLSCertFile, "tls-cert-file", opts.TLSCertFile, "serve the API with this certificate (PEM; with --tls-private-key-file) instead of the self-signed ROOT-DIR/pki/minikubelet.crt")
	f.StringVar(&opts.TLSKeyFile, "tls-private-key-file", opts.TLSKeyFile, "private key (PEM) of --tls-cert-file")
	f.StringVar(&opts.TokenFile, "token-file", opts.TokenFile, "file (mode 0600) holding the bearer token every API request must carry, instead of the generated ROOT-DIR/token")
	f.StringVar(&opts.CgroupParent, "cgroup-parent", opts.CgroupParent, "parent cgroup of every pod's cgroup (empty: runtime's default)")
	f.DurationVar(&opts.RelistPeriod, "relist-period", opts.RelistPeriod, "how often the runtime is relisted to notice container changes")
	f.DurationVar(&opts.ManifestRelist, "manifest-relist-period", opts.ManifestRelist, "how often the manifest directory is fully re-read")
	f.IntVar(&opts.MaxPods, "max-pods", opts.MaxPods, "how many pods may run at once (the kubelet's maxPods); more wait, Pending with reason OutOfpods, and start oldest first as pods go")
	f.BoolVar(&opts.ManageNetwork, "manage-network", opts.ManageNetwork, "write and repair the runtime's CNI config and release leaked pod IPs")
	f.StringVar(&opts.PodCIDR, "pod-cidr", opts.PodCIDR, "this node's pod IP range (default "+cni.DefaultPodCIDR+"; with --kubeconfig, the Node's spec.podCIDR from the controller-manager)")
	f.StringVar(&opts.ClusterCIDR, "cluster-cidr", opts.ClusterCIDR, "range of every node's pods, not masqueraded (default: --pod-cidr)")
	f.StringVar(&opts.BridgeName, "bridge-name", opts.BridgeName, "Linux bridge the pods attach to")
	f.StringVar(&opts.CNIConfDir, "cni-conf-dir", opts.CNIConfDir, "the runtime's CNI config directory")
	f.StringSliceVar(&opts.CNIBinDirs, "cni-bin-dir", opts.CNIBinDirs, "directories searched for CNI plugins")
	f.StringVar(&opts.CNICacheDir, "cni-cache-dir", opts.CNICacheDir, "libcni's cache directory (the runtime's)")
	f.StringVar(&opts.CNIDataDir, "cni-data-dir", opts.CNIDataDir, "host-local IPAM data directory (default: host-local's)")
	f.DurationVar(&opts.CNICheckInterval, "cni-check-interval", opts.CNICheckInterval, "how often the CNI config is repaired, host rules checked and leaked pod IPs released")
	f.DurationVar(&opts.CNILeakGrace, "cni-leak-grace", opts.CNILeakGrace, "minimum age of a pod IP whose sandbox is gone before it is released (must outlast RunPodSandbox)")
	f.Var(&opts.Peers, "peer", "another node of the flat pod network, NODE_IP=POD_CIDR (repeatable)")
	f.StringVar(&opts.ContainerLogMaxSize, "container-log-max-size", opts.ContainerLogMaxSize, "rotate a container's log when it grows past this size")
	f.IntVar(&opts.ContainerLogMaxFiles, "container-log-max-files", opts.ContainerLogMaxFiles, "log files kept per container, the live one included")
	f.DurationVar(&opts.ContainerLogMonitorInterval, "container-log-monitor-interval", opts.ContainerLogMonitorInterval, "how often container logs are checked for rotation")
	f.StringVar(&opts.LogLevel, "log-level", opts.LogLevel, "debug, info, warn or error")
	f.StringVar(&opts.LogFormat, "log-format", opts.LogFormat, "text or json")
	f.StringVar(&opts.ManagedRuntime, "managed-runtime", opts.ManagedRuntime, "start a containerd of the agent's own: auto (when no runtime answers), always, or never")
	f.StringVar(&opts.RunDir, "run-dir", opts.RunDir, "directory for the managed containerd's sockets and state")
	f.BoolVar(&opts.StopRuntimeOnExit, "stop-runtime-on-exit", opts.StopRuntimeOnExit, "stop the managed containerd when the agent exits (pods' containers keep running)")
	f.StringVar(&opts.SandboxImage, "sandbox-image", opts.SandboxImage, "pause image of the managed containerd (default: the one built into minikubelet)")
	f.StringSliceVar(&opts.InsecureRegistries, "insecure-registry", opts.InsecureRegistries, "registries the managed containerd pulls from over plain HTTP")
}

// resolveRunOptions layers, lowest first: defaults, the config file, and
// the flags given on the command line — those alone, so a flag's default
// never hides a value from the file.
func resolveRunOptions(flags *pflag.FlagSet, fromFlags agent.Options, configFile string, verbosity int) (agent.Options, error) {
	opts := fromFlags
	if configFile != "" {
		fromFile, err := agent.LoadConfigFile(configFile, agent.DefaultOptions())
		if err != nil {
			return opts, err
		}
		opts = fromFile
		replay := pflag.NewFlagSet("replay", pflag.ContinueOnError)
		addRunFlags(replay, &opts)
		flags.Visit(func(given *pflag.Flag) {
			if target := replay.Lookup(given.Name); target != nil && err == nil {
				err = copyFlagValue(target.Value, given.Value)
			}
		})
		if err != nil {
			return opts, fmt.Errorf("applying command-line flags over %s: %w", configFile, err)
		}
	}
	if flags.Changed("v") {
		opts.LogLevel = "info"
		if verbosity >= 4 {
			opts.LogLevel = "debug"
		}
	}
	return opts, nil
}

// copyFlagValue sets dst to src's value. Lists are copied whole: their
// text form does not round-trip through Set, which appends.
func copyFlagValue(dst, src pflag.Value) error {
	switch src := src.(type) {
	case pflag.SliceValue:
		return dst.(pflag.SliceValue).Replace(src.GetSlice())
	case *cni.PeerList:
		*dst.(*cni.PeerList) = slices.Clone(*src)
		return nil
	default:
		return dst.Set(src.String())
	}
}
