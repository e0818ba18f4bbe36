package nodenet

import (
	"net"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func node(name, ip string, cidrs ...string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{PodCIDRs: cidrs}}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR = cidrs[0]
	}
	if ip != "" {
		n.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeHostName, Address: name}, {Type: v1.NodeInternalIP, Address: ip}}
	}
	return n
}

func TestPeers(t *testing.T) {
	_, own, _ := net.ParseCIDR("10.244.1.0/24")
	tests := []struct {
		name  string
		nodes []*v1.Node
		want  string
	}{
		{"self is no peer", []*v1.Node{node("me", "192.168.0.1", "10.244.1.0/24")}, ""},
		{"others, sorted", []*v1.Node{node("c", "192.168.0.3", "10.244.3.0/24"), node("b", "192.168.0.2", "10.244.2.0/24")},
			"192.168.0.2=10.244.2.0/24 192.168.0.3=10.244.3.0/24"},
		{"a node without a pod CIDR yet", []*v1.Node{node("new", "192.168.0.4")}, ""},
		{"a node without an InternalIP yet", []*v1.Node{node("new", "", "10.244.4.0/24")}, ""},
		{"dual stack: the IPv4 CIDR", []*v1.Node{node("d", "192.168.0.5", "fd00:1::/64", "10.244.5.0/24")}, "192.168.0.5=10.244.5.0/24"},
		{"an IPv6-only node", []*v1.Node{node("v6", "fd00::6", "fd00:6::/64")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range Peers("me", own, tc.nodes) {
				got = append(got, p.String())
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("Peers = %v, want %q", got, tc.want)
			}
		})
	}
}

func TestOwnPodCIDR(t *testing.T) {
	if got := OwnPodCIDR(node("me", "", "fd00:1::/64", "10.244.1.0/24")); got == nil || got.String() != "10.244.1.0/24" {
		t.Errorf("dual stack: %v, want the IPv4 CIDR", got)
	}
	if got := OwnPodCIDR(node("me", "")); got != nil {
		t.Errorf("no CIDR yet: %v, want nil", got)
	}
}
