package cni

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Defaults filled in by New for zero-valued Config fields.
const (
	DefaultPodCIDR       = "10.88.0.0/16"
	DefaultBridgeName    = "mkbr0"
	DefaultConfDir       = "/etc/cni/net.d"
	DefaultCacheDir      = "/var/lib/cni"
	DefaultCheckInterval = 10 * time.Second
	DefaultLeakGrace     = 3 * time.Minute
	DefaultCRITimeout    = 10 * time.Second
)

// pluginTimeout bounds one plugin run (VERSION, DEL) and commandTimeout
// one iptables run, so a hung binary cannot stall the manager's loop.
const (
	pluginTimeout  = time.Minute
	commandTimeout = 30 * time.Second
)

// DefaultBinDirs is where plugins are searched when Config.BinDirs is empty:
// the upstream install location first, then Debian's package location.
var DefaultBinDirs = []string{"/opt/cni/bin", "/usr/lib/cni"}

// NetworkName is the CNI network name of the conflist minikubelet owns. The
// leak collector only ever touches allocations and cache entries of this
// network.
const NetworkName = "minikubelet"

// ConfFileName is the file minikubelet writes into the CNI config directory.
// The "10-" prefix makes it sort before most hand-written configs.
const ConfFileName = "10-" + NetworkName + ".conflist"

// Config configures the pod network. Zero values are replaced by the
// defaults documented on each field.
type Config struct {
	// PodCIDR is this node's pod address range (--pod-cidr); host-local
	// allocates pod IPs from it. Default DefaultPodCIDR.
	PodCIDR string
	// ClusterCIDR is the range covering every node's pods (--cluster-cidr);
	// traffic to it is not masqueraded so pods see each other's real IPs.
	// Default: PodCIDR when there are no peers; required with peers.
	ClusterCIDR string
	// BridgeName is the Linux bridge the bridge plugin creates. Default
	// DefaultBridgeName.
	BridgeName string
	// ConfDir is the runtime's CNI config directory (--cni-conf-dir).
	// Default DefaultConfDir.
	ConfDir string
	// BinDirs are searched in order for plugin binaries (--cni-bin-dir).
	// Default DefaultBinDirs.
	BinDirs []string
	// DataDir is host-local's allocation directory. Empty keeps host-local's
	// own default, /var/lib/cni/networks.
	DataDir string
	// CacheDir is libcni's cache directory; results live in
	// CacheDir/results. Default DefaultCacheDir. It must be the runtime's.
	// It may be shared with another runtime on the host (containerd 1.6
	// cannot move it) as long as that runtime's network has another bridge
	// or data dir: only entries of this BridgeName and DataDir are released.
	CacheDir string
	// CheckInterval is how often the conflist, host routes/masquerade and
	// leaked addresses are checked. Default DefaultCheckInterval.
	CheckInterval time.Duration
	// LeakGrace is the minimum age of an allocation before it may be
	// released: containerd adds a sandbox to its list only after CNI ADD
	// finished, so a younger allocation may belong to a RunPodSandbox in
	// flight. The default, DefaultLeakGrace, outlasts the 2-minute
	// RunPodSandbox timeout kubelet and minikubelet use.
	LeakGrace time.Duration
	// CRITimeout bounds every CRI call. Default DefaultCRITimeout.
	CRITimeout time.Duration
	// Peers are the other nodes of a flat pod network (--peer).
	Peers []Peer
	// Bandwidth adds the bandwidth plugin (pod ingress/egress shaping).
	Bandwidth bool
	// Firewall adds the firewall plugin (accepts pod traffic in FORWARD).
	Firewall bool
	// Logger receives one structured line per event. Default slog.Default().
	Logger *slog.Logger
	// OnRepair, when set, is called once per rewrite of a missing or
	// modified conflist (for a repairs counter).
	OnRepair func()
	// OnLeakReleased, when set, is called once per released leaked address
	// (for minikubelet_cni_leaked_addresses_released_total).
	OnLeakReleased func()
}

// network is the validated, parsed form of Config's address settings.
type network struct {
	podCIDR     *net.IPNet
	clusterCIDR *net.IPNet
	peers       []Peer
}

// withDefaults returns a copy of cfg with zero fields set to defaults.
func (cfg Config) withDefaults() Config {
	if cfg.PodCIDR == "" {
		cfg.PodCIDR = DefaultPodCIDR
	}
	if cfg.BridgeName == "" {
		cfg.BridgeName = DefaultBridgeName
	}
	if cfg.ConfDir == "" {
		cfg.ConfDir = DefaultConfDir
	}
	if len(cfg.BinDirs) == 0 {
		cfg.BinDirs = append([]string(nil), DefaultBinDirs...)
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = DefaultCacheDir
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = DefaultCheckInterval
	}
	if cfg.LeakGrace <= 0 {
		cfg.LeakGrace = DefaultLeakGrace
	}
	if cfg.CRITimeout <= 0 {
		cfg.CRITimeout = DefaultCRITimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

// parseNetwork validates the address settings of a defaulted Config.
func (cfg Config) parseNetwork() (network, error) {
	_, podCIDR, err := net.ParseCIDR(cfg.PodCIDR)
	if err != nil {
		return network{}, fmt.Errorf("pod CIDR %q is not a CIDR such as %s: set --pod-cidr", cfg.PodCIDR, DefaultPodCIDR)
	}
	if ones, bits := podCIDR.Mask.Size(); bits-ones < 2 {
		return network{}, fmt.Errorf("pod CIDR %s leaves no address for pods: use a prefix of /%d or shorter", podCIDR, bits-2)
	}
	clusterCIDR := podCIDR
	if cfg.ClusterCIDR == "" && len(cfg.Peers) > 0 {
		return network{}, errors.New("--cluster-cidr is required with --peer: give the range that covers this node's and every peer's pod CIDR")
	}
	if cfg.ClusterCIDR != "" {
		if _, clusterCIDR, err = net.ParseCIDR(cfg.ClusterCIDR); err != nil {
			return network{}, fmt.Errorf("cluster CIDR %q is not a CIDR such as 10.88.0.0/16: set --cluster-cidr", cfg.ClusterCIDR)
		}
	}
	if !covers(clusterCIDR, podCIDR) {
		return network{}, fmt.Errorf("cluster CIDR %s does not contain pod CIDR %s: widen --cluster-cidr", clusterCIDR, podCIDR)
	}
	if err := checkPeers(cfg.Peers, podCIDR, clusterCIDR); err != nil {
		return network{}, err
	}
	return network{podCIDR: podCIDR, clusterCIDR: clusterCIDR, peers: cfg.Peers}, nil
}

// checkPeers rejects peers whose routes would shadow local pods, escape
// the masquerade exclusion, or point into a pod range.
func checkPeers(peers []Peer, podCIDR, clusterCIDR *net.IPNet) error {
	for i, peer := range peers {
		if peer.NodeIP == nil || peer.PodCIDR == nil {
			return fmt.Errorf("peer %d: node IP and pod CIDR are both required (NODE_IP=POD_CIDR)", i)
		}
		if overlaps(peer.PodCIDR, podCIDR) {
			return fmt.Errorf("peer %s: its pod CIDR overlaps this node's pod CIDR %s: give each node a disjoint --pod-cidr", peer, podCIDR)
		}
		if !covers(clusterCIDR, peer.PodCIDR) {
			return fmt.Errorf("peer %s: its pod CIDR is outside cluster CIDR %s, so traffic to it would be masqueraded: widen --cluster-cidr", peer, clusterCIDR)
		}
		if clusterCIDR.Contains(peer.NodeIP) {
			return fmt.Errorf("peer %s: node IP lies inside cluster CIDR %s: give the peer's host address, not a pod address", peer, clusterCIDR)
		}
		if (peer.NodeIP.To4() == nil) != (peer.PodCIDR.IP.To4() == nil) {
			return fmt.Errorf("peer %s: node IP and pod CIDR are of different IP families", peer)
		}
		for _, other := range peers[:i] {
			if overlaps(other.PodCIDR, peer.PodCIDR) {
				return fmt.Errorf("peers %s and %s have overlapping pod CIDRs", other, peer)
			}
		}
	}
	return nil
}

// covers reports whether outer contains all of inner.
func covers(outer, inner *net.IPNet) bool {
	outerOnes, outerBits := outer.Mask.Size()
	innerOnes, innerBits := inner.Mask.Size()
	return outerBits == innerBits && outerOnes <= innerOnes && outer.Contains(inner.IP)
}

// overlaps reports whether two CIDRs share any address.
func overlaps(a, b *net.IPNet) bool {
	return a.Contains(b.IP) || b.Contains(a.IP)
}
