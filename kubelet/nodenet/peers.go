package nodenet

import (
	"net"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/cni"
)

// Peers are the other nodes this node routes pods to: each node but self
// with an InternalIP and a pod CIDR of the IP family of ownCIDR. A node
// without either yet is left out until it has both. Sorted by pod CIDR.
// It is pure.
func Peers(self string, ownCIDR *net.IPNet, nodes []*v1.Node) []cni.Peer {
	var peers []cni.Peer
	for _, n := range nodes {
		if n.Name == self {
			continue
		}
		ip := internalIP(n)
		cidr := podCIDR(n, ownCIDR.IP.To4() != nil)
		if ip == nil || cidr == nil || (ip.To4() != nil) != (cidr.IP.To4() != nil) {
			continue
		}
		peers = append(peers, cni.Peer{NodeIP: ip, PodCIDR: cidr})
	}
	slices.SortFunc(peers, func(a, b cni.Peer) int { return strings.Compare(a.PodCIDR.String(), b.PodCIDR.String()) })
	return peers
}

// OwnPodCIDR is the node's pod CIDR of the IPv4 family if it has one,
// else its first; nil until the controller-manager assigned one.
func OwnPodCIDR(n *v1.Node) *net.IPNet {
	if cidr := podCIDR(n, true); cidr != nil {
		return cidr
	}
	return podCIDR(n, false)
}

func podCIDR(n *v1.Node, ipv4 bool) *net.IPNet {
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, s := range cidrs {
		if _, cidr, err := net.ParseCIDR(s); err == nil && (cidr.IP.To4() != nil) == ipv4 {
			return cidr
		}
	}
	return nil
}

func internalIP(n *v1.Node) net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type == v1.NodeInternalIP {
			return net.ParseIP(a.Address)
		}
	}
	return nil
}
