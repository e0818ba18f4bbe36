package cni

import (
	"fmt"
	"net"
	"strings"
)

// Peer is another node of a flat pod network: its pods (PodCIDR) are reached
// through a route via its node address (NodeIP).
type Peer struct {
	// NodeIP is the peer's host address; it must be on a network this node
	// is directly connected to.
	NodeIP net.IP
	// PodCIDR is the peer's --pod-cidr.
	PodCIDR *net.IPNet
}

// String renders the peer in the NODE_IP=POD_CIDR form ParsePeer accepts.
func (p Peer) String() string { return p.NodeIP.String() + "=" + p.PodCIDR.String() }

// ParsePeer parses a --peer flag value of the form NODE_IP=POD_CIDR.
func ParsePeer(value string) (Peer, error) {
	nodeIP, podCIDR, found := strings.Cut(value, "=")
	if !found {
		return Peer{}, fmt.Errorf("peer %q: want NODE_IP=POD_CIDR, e.g. 192.168.1.12=10.88.2.0/24", value)
	}
	ip := net.ParseIP(strings.TrimSpace(nodeIP))
	if ip == nil {
		return Peer{}, fmt.Errorf("peer %q: node IP %q is not an IP address", value, nodeIP)
	}
	_, cidr, err := net.ParseCIDR(strings.TrimSpace(podCIDR))
	if err != nil {
		return Peer{}, fmt.Errorf("peer %q: pod CIDR %q is not a CIDR such as 10.88.2.0/24", value, podCIDR)
	}
	return Peer{NodeIP: ip, PodCIDR: cidr}, nil
}

// PeerList collects repeated --peer flags; it satisfies pflag.Value (and
// flag.Value), so `flags.Var(&peers, "peer", ...)` parses each value as it
// is given and reports a bad one naming the flag.
type PeerList []Peer

// String renders the list comma-separated, as flag help shows defaults.
func (l *PeerList) String() string {
	parts := make([]string, 0, len(*l))
	for _, peer := range *l {
		parts = append(parts, peer.String())
	}
	return strings.Join(parts, ",")
}

// Set parses one NODE_IP=POD_CIDR value and appends it.
func (l *PeerList) Set(value string) error {
	peer, err := ParsePeer(value)
	if err != nil {
		return err
	}
	*l = append(*l, peer)
	return nil
}

// Type names the value kind in flag help.
func (l *PeerList) Type() string { return "NODE_IP=POD_CIDR" }
