// Package agent wires minikubelet's parts together: the manifest source,
// the CRI client, the sync loop, the pod network and the HTTP API, all run
// under one errgroup so the first failure stops the rest cleanly.
package agent

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/kubelet"
)

// Options are the agent's settings; every flag of `minikubelet run` has one.
type Options struct {
	ManifestDir     string        `json:"manifestDir"`
	RuntimeEndpoint string        `json:"runtimeEndpoint"`
	RootDir         string        `json:"rootDir"`
	PodLogDir       string        `json:"podLogDir"`
	NodeName        string        `json:"nodeName"`
	Listen          string        `json:"listen"`
	CgroupParent    string        `json:"cgroupParent"`
	RelistPeriod    time.Duration `json:"relistPeriod"`
	ManifestRelist  time.Duration `json:"manifestRelistPeriod"`
	LogLevel        string        `json:"logLevel"`
	LogFormat       string        `json:"logFormat"`
	// MaxPods is how many pods may run at once, the kubelet's maxPods;
	// more wait, Pending with reason OutOfpods, until one goes.
	MaxPods int `json:"maxPods"`

	// Cluster membership. Kubeconfig, when set, is the kubeconfig of a
	// Kubernetes control plane the agent joins as node NodeName (see
	// package kubelet/node); empty keeps the agent standalone. NodeIP is
	// the Node's InternalIP; empty means the IP of the interface holding
	// the default route.
	Kubeconfig string `json:"kubeconfig"`
	NodeIP     string `json:"nodeIP"`
	// KubeletPort is the node endpoint the cluster's API server reaches
	// for logs, exec, attach and port-forward (the Node's
	// daemonEndpoints.kubeletEndpoint), on every address, as the
	// kubelet's 10250. ClientCAFile holds the CAs its client certificates
	// must verify against; empty means the kubeconfig's CA.
	KubeletPort  int32  `json:"kubeletPort"`
	ClientCAFile string `json:"clientCAFile"`

	// API security. TLSCertFile and TLSKeyFile serve the API over HTTPS;
	// TokenFile holds the bearer token every request must carry. Listening
	// beyond loopback needs all three.
	TLSCertFile string `json:"tlsCertFile"`
	TLSKeyFile  string `json:"tlsPrivateKeyFile"`
	TokenFile   string `json:"tokenFile"`

	// Pod network. ManageNetwork off leaves CNI configuration to the
	// runtime's administrator.
	ManageNetwork bool         `json:"manageNetwork"`
	PodCIDR       string       `json:"podCIDR"`
	ClusterCIDR   string       `json:"clusterCIDR"`
	BridgeName    string       `json:"bridgeName"`
	CNIConfDir    string       `json:"cniConfDir"`
	CNIBinDirs    []string     `json:"cniBinDirs"`
	CNICacheDir   string       `json:"cniCacheDir"`
	CNIDataDir    string       `json:"cniDataDir"`
	Peers         cni.PeerList `json:"peers"`
	// CNICheckInterval is how often the conflist, host rules and leaked
	// addresses are checked; CNILeakGrace is how old an unowned address
	// must be before it is released (see cni.Config).
	CNICheckInterval time.Duration `json:"cniCheckInterval"`
	CNILeakGrace     time.Duration `json:"cniLeakGrace"`

	// Container logs.
	ContainerLogMaxSize  string `json:"containerLogMaxSize"`
	ContainerLogMaxFiles int    `json:"containerLogMaxFiles"`
	// ContainerLogMonitorInterval is how often logs are checked for rotation.
	ContainerLogMonitorInterval time.Duration `json:"containerLogMonitorInterval"`

	// Managed runtime: the containerd the agent starts itself when no CRI
	// runtime answers (see runtime.go and package cri/managed).
	ManagedRuntime     string   `json:"managedRuntime"`
	RunDir             string   `json:"runDir"`
	StopRuntimeOnExit  bool     `json:"stopRuntimeOnExit"`
	SandboxImage       string   `json:"sandboxImage"`
	InsecureRegistries []string `json:"insecureRegistries"`
}

// DefaultOptions are the kubelet-like defaults.
func DefaultOptions() Options {
	return Options{
		ManifestDir:                 "/etc/minikubelet/manifests",
		RootDir:                     "/var/lib/minikubelet",
		PodLogDir:                   "/var/log/pods",
		Listen:                      "127.0.0.1:10350",
		KubeletPort:                 10250,
		CgroupParent:                "/minikubelet",
		RelistPeriod:                time.Second,
		ManifestRelist:              20 * time.Second,
		LogLevel:                    "info",
		LogFormat:                   "text",
		MaxPods:                     kubelet.DefaultMaxPods,
		ManageNetwork:               true,
		BridgeName:                  cni.DefaultBridgeName,
		CNIConfDir:                  cni.DefaultConfDir,
		CNIBinDirs:                  append([]string(nil), cni.DefaultBinDirs...),
		CNICacheDir:                 cni.DefaultCacheDir,
		CNICheckInterval:            cni.DefaultCheckInterval,
		CNILeakGrace:                cni.DefaultLeakGrace,
		ContainerLogMaxSize:         "10Mi",
		ContainerLogMaxFiles:        5,
		ContainerLogMonitorInterval: 10 * time.Second,
		ManagedRuntime:              "auto",
		RunDir:                      "/run/minikubelet",
		// Loopback registries get plain HTTP, as Docker allows by default.
		InsecureRegistries: []string{"127.0.0.1:5000", "localhost:5000"},
	}
}

// newLogger builds the agent's structured logger from the options.
func newLogger(opts Options) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", opts.LogLevel)
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(opts.LogFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(os.Stderr, handlerOpts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, handlerOpts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: use text or json", opts.LogFormat)
	}
}
