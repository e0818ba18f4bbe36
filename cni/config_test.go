package cni

import (
	"flag"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// PeerList must plug into cobra's flags and the standard library's.
var (
	_ pflag.Value = (*PeerList)(nil)
	_ flag.Value  = (*PeerList)(nil)
)

func TestParsePeer(t *testing.T) {
	peer, err := ParsePeer("192.168.1.12=10.88.2.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if peer.NodeIP.String() != "192.168.1.12" || peer.PodCIDR.String() != "10.88.2.0/24" {
		t.Fatalf("parsed %s", peer)
	}
	for value, wantInError := range map[string]string{
		"192.168.1.12":            "want NODE_IP=POD_CIDR",
		"nodeB=10.88.2.0/24":      `node IP "nodeB" is not an IP address`,
		"192.168.1.12=10.88.2.0":  `pod CIDR "10.88.2.0" is not a CIDR`,
		"192.168.1.12=10.88.2/24": `pod CIDR "10.88.2/24" is not a CIDR`,
	} {
		_, err := ParsePeer(value)
		if err == nil || !strings.Contains(err.Error(), wantInError) {
			t.Errorf("ParsePeer(%q) = %v, want error containing %q", value, err, wantInError)
		}
	}
}

func mustPeer(t *testing.T, value string) Peer {
	t.Helper()
	peer, err := ParsePeer(value)
	if err != nil {
		t.Fatal(err)
	}
	return peer
}

func TestParseNetworkDefaultsClusterToPodCIDR(t *testing.T) {
	nw, err := Config{}.withDefaults().parseNetwork()
	if err != nil {
		t.Fatal(err)
	}
	if nw.podCIDR.String() != DefaultPodCIDR || nw.clusterCIDR.String() != DefaultPodCIDR {
		t.Fatalf("pod %s cluster %s, want both %s", nw.podCIDR, nw.clusterCIDR, DefaultPodCIDR)
	}
}

func TestParseNetworkRejectsBadAddressing(t *testing.T) {
	cases := []struct {
		name        string
		cfg         Config
		wantInError string
	}{
		{"bad pod CIDR", Config{PodCIDR: "10.88.0.0"}, "set --pod-cidr"},
		{"pod CIDR too small", Config{PodCIDR: "10.88.0.1/32"}, "leaves no address"},
		{"bad cluster CIDR", Config{ClusterCIDR: "cluster"}, "set --cluster-cidr"},
		{"cluster misses pod CIDR", Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.89.0.0/16"}, "does not contain pod CIDR"},
		{"peers need cluster CIDR", Config{PodCIDR: "10.88.1.0/24", Peers: []Peer{mustPeer(t, "192.168.1.12=10.88.2.0/24")}},
			"--cluster-cidr is required with --peer"},
		{"peer overlaps us", Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.88.0.0/16", Peers: []Peer{mustPeer(t, "192.168.1.12=10.88.1.128/25")}},
			"overlaps this node's pod CIDR"},
		{"peer outside cluster", Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.88.0.0/16", Peers: []Peer{mustPeer(t, "192.168.1.12=10.99.2.0/24")}},
			"outside cluster CIDR"},
		{"peer node IP is a pod IP", Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.88.0.0/16", Peers: []Peer{mustPeer(t, "10.88.2.1=10.88.2.0/24")}},
			"node IP lies inside cluster CIDR"},
		{"peers overlap each other", Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.88.0.0/16", Peers: []Peer{
			mustPeer(t, "192.168.1.12=10.88.2.0/24"), mustPeer(t, "192.168.1.13=10.88.2.0/25")}}, "overlapping pod CIDRs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.withDefaults().parseNetwork()
			if err == nil || !strings.Contains(err.Error(), tc.wantInError) {
				t.Fatalf("got %v, want error containing %q", err, tc.wantInError)
			}
		})
	}
}

func TestParseNetworkAcceptsPeers(t *testing.T) {
	cfg := Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.88.0.0/16", Peers: []Peer{
		mustPeer(t, "192.168.1.12=10.88.2.0/24"), mustPeer(t, "192.168.1.13=10.88.3.0/24")}}
	nw, err := cfg.withDefaults().parseNetwork()
	if err != nil {
		t.Fatal(err)
	}
	if len(nw.peers) != 2 || nw.clusterCIDR.String() != "10.88.0.0/16" {
		t.Fatalf("got %+v", nw)
	}
}

func TestPeerListCollectsRepeatedFlags(t *testing.T) {
	var peers PeerList
	for _, value := range []string{"192.168.1.12=10.88.2.0/24", "192.168.1.13=10.88.3.0/24"} {
		if err := peers.Set(value); err != nil {
			t.Fatal(err)
		}
	}
	if got := peers.String(); got != "192.168.1.12=10.88.2.0/24,192.168.1.13=10.88.3.0/24" {
		t.Fatalf("got %q", got)
	}
	if err := peers.Set("10.88.4.0/24"); err == nil || len(peers) != 2 {
		t.Fatalf("bad value: err %v, %d peers", err, len(peers))
	}
}
