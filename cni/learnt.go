package cni

import (
	"fmt"
	"net"
)

// usablePeers keeps the peers learnt from the cluster's Nodes that are
// safe to route, and says why each other one is not. A Node is written by
// whoever may write Nodes (another node, a bootstrap-token holder, a
// cluster user), so nothing it says is routed unless it is a pod range of
// this cluster: inside the cluster CIDR (which also keeps traffic to it
// unmasqueraded), clear of this node's own range and of every other
// peer's (both sides of a clash are dropped: which one is right cannot be
// told), and reached via a host address, not a pod, loopback, link-local
// or multicast one. It is pure.
func usablePeers(learnt, flags []Peer, podCIDR, clusterCIDR *net.IPNet) (usable []Peer, refused []string) {
	var candidates []Peer
	for _, peer := range learnt {
		if why := learntPeerProblem(peer, flags, podCIDR, clusterCIDR); why != "" {
			refused = append(refused, fmt.Sprintf("%s: %s", peer, why))
			continue
		}
		candidates = append(candidates, peer)
	}
	clash := map[int]bool{}
	for i, a := range candidates {
		for j, b := range candidates[i+1:] {
			if overlaps(a.PodCIDR, b.PodCIDR) {
				clash[i], clash[i+1+j] = true, true
			}
		}
	}
	for i, peer := range candidates {
		if clash[i] {
			refused = append(refused, fmt.Sprintf("%s: its pod CIDR overlaps another node's", peer))
			continue
		}
		usable = append(usable, peer)
	}
	return usable, refused
}

func learntPeerProblem(peer Peer, flags []Peer, podCIDR, clusterCIDR *net.IPNet) string {
	switch ip := peer.NodeIP; {
	case ip == nil || peer.PodCIDR == nil:
		return "no InternalIP or pod CIDR"
	case (ip.To4() == nil) != (peer.PodCIDR.IP.To4() == nil) || (ip.To4() == nil) != (podCIDR.IP.To4() == nil):
		return "not of this node's IP family"
	case !covers(clusterCIDR, peer.PodCIDR):
		return fmt.Sprintf("its pod CIDR is outside the cluster CIDR %s (set --cluster-cidr to the controller-manager's)", clusterCIDR)
	case overlaps(peer.PodCIDR, podCIDR):
		return fmt.Sprintf("its pod CIDR overlaps this node's %s", podCIDR)
	case clusterCIDR.Contains(ip):
		return "its InternalIP is a pod address"
	case ip.IsLoopback() || ip.IsUnspecified() || ip.IsMulticast() || ip.IsLinkLocalUnicast() || ip.IsInterfaceLocalMulticast():
		return "its InternalIP cannot be a gateway"
	}
	for _, flag := range flags {
		if overlaps(flag.PodCIDR, peer.PodCIDR) {
			return fmt.Sprintf("its pod CIDR overlaps the --peer %s", flag)
		}
	}
	return ""
}
