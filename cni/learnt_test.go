package cni

import (
	"net"
	"strings"
	"testing"
)

func TestUsablePeersRefusesWhatCouldHijackTheHost(t *testing.T) {
	_, own, _ := net.ParseCIDR("10.244.1.0/24")
	_, cluster, _ := net.ParseCIDR("10.244.0.0/16")
	flags := []Peer{mustPeer(t, "192.168.0.9=10.244.9.0/24")}
	tests := []struct {
		peers   []string
		usable  string
		refused string
	}{
		{[]string{"192.168.0.2=10.244.2.0/24"}, "192.168.0.2=10.244.2.0/24", ""},
		{[]string{"192.168.0.66=0.0.0.0/0"}, "", "outside the cluster CIDR"},
		{[]string{"192.168.0.66=192.168.0.0/24"}, "", "outside the cluster CIDR"},
		{[]string{"192.168.0.66=10.244.1.0/24"}, "", "overlaps this node's"},
		{[]string{"192.168.0.66=10.244.0.0/16"}, "", "overlaps this node's"},
		{[]string{"192.168.0.2=10.244.2.0/24", "192.168.0.66=10.244.2.128/25"}, "", "overlaps another node's"},
		{[]string{"10.244.5.7=10.244.3.0/24"}, "", "InternalIP is a pod address"},
		{[]string{"127.0.0.1=10.244.3.0/24"}, "", "cannot be a gateway"},
		{[]string{"169.254.1.1=10.244.3.0/24"}, "", "cannot be a gateway"},
		{[]string{"192.168.0.3=10.244.9.0/24"}, "", "overlaps the --peer"},
		{[]string{"fd00::3=fd00:3::/64"}, "", "IP family"},
	}
	for _, tc := range tests {
		var peers []Peer
		for _, p := range tc.peers {
			peers = append(peers, mustPeer(t, p))
		}
		usable, refused := usablePeers(peers, flags, own, cluster)
		var got []string
		for _, p := range usable {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != tc.usable {
			t.Errorf("%v: usable %v, want %q", tc.peers, got, tc.usable)
		}
		if tc.refused != "" && !strings.Contains(strings.Join(refused, "; "), tc.refused) {
			t.Errorf("%v: refused %v, want a reason with %q", tc.peers, refused, tc.refused)
		}
	}
}
