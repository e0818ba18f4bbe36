package translate

import (
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		name string
		data string
		want *runtimeapi.DNSConfig
	}{
		{name: "empty", data: "", want: &runtimeapi.DNSConfig{}},
		{
			name: "every kind of line, in order",
			data: "nameserver 10.0.0.1\nsearch a.example b.example\nnameserver 10.0.0.2\ndomain c.example\noptions ndots:5 rotate\noptions edns0\n",
			want: &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1", "10.0.0.2"}, Searches: []string{"a.example", "b.example", "c.example"},
				Options: []string{"ndots:5", "rotate", "edns0"}},
		},
		{
			name: "comments, blank lines, keywords without values and unknown keywords are skipped",
			data: "# generated\n; old style\n\n#nameserver 9.9.9.9\nnameserver\nsortlist 10.0.0.0\n  nameserver   10.0.0.3  \n",
			want: &runtimeapi.DNSConfig{Servers: []string{"10.0.0.3"}},
		},
		{
			name: "CRLF line ends and tabs",
			data: "nameserver\t10.0.0.4\r\nsearch\tx.example\r\n",
			want: &runtimeapi.DNSConfig{Servers: []string{"10.0.0.4"}, Searches: []string{"x.example"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProto(t, "parsed", ParseResolvConf([]byte(tt.data)), tt.want)
		})
	}
}

func TestDNSConfig(t *testing.T) {
	host := &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1"}, Searches: []string{"corp.example"}, Options: []string{"ndots:5"}}
	own := &v1.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"pod.example"},
		Options: []v1.PodDNSConfigOption{{Name: "ndots", Value: ptr("1")}, {Name: "single-request"}}}
	tests := []struct {
		name   string
		policy v1.DNSPolicy
		own    *v1.PodDNSConfig
		host   *runtimeapi.DNSConfig
		want   *runtimeapi.DNSConfig
	}{
		{name: "unset policy (ClusterFirst): the node's", host: host, want: host},
		{name: "ClusterFirst: the node's", policy: v1.DNSClusterFirst, host: host, want: host},
		{name: "ClusterFirstWithHostNet: the node's", policy: v1.DNSClusterFirstWithHostNet, host: host, want: host},
		{name: "Default: the node's", policy: v1.DNSDefault, host: host, want: host},
		{name: "Default with the pod's dnsConfig appended", policy: v1.DNSDefault, own: own, host: host,
			want: &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1", "1.1.1.1"}, Searches: []string{"corp.example", "pod.example"},
				Options: []string{"ndots:5", "ndots:1", "single-request"}}},
		{name: "None: the pod's dnsConfig alone", policy: v1.DNSNone, own: own, host: host,
			want: &runtimeapi.DNSConfig{Servers: []string{"1.1.1.1"}, Searches: []string{"pod.example"}, Options: []string{"ndots:1", "single-request"}}},
		{name: "None without a dnsConfig: nothing", policy: v1.DNSNone, host: host, want: &runtimeapi.DNSConfig{}},
		{name: "a node without resolver settings", policy: v1.DNSDefault, own: own,
			want: &runtimeapi.DNSConfig{Servers: []string{"1.1.1.1"}, Searches: []string{"pod.example"}, Options: []string{"ndots:1", "single-request"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.DNSPolicy, pod.Spec.DNSConfig = tt.policy, tt.own
			assertProto(t, "DNS config", DNSConfig(tt.host, pod), tt.want)
		})
	}
}

// Node.HostDNS is shared by every pod's translation: no pod's dnsConfig
// may reach another pod's settings, or the node's, through it.
func TestDNSConfigLeavesTheNodesSettingsAlone(t *testing.T) {
	host := &runtimeapi.DNSConfig{Servers: make([]string, 1, 8), Searches: make([]string, 0, 8), Options: make([]string, 0, 8)}
	host.Servers[0] = "10.0.0.1"
	podWith := func(server, search, option string) *v1.Pod {
		pod := testPod()
		pod.Spec.DNSConfig = &v1.PodDNSConfig{Nameservers: []string{server}, Searches: []string{search}, Options: []v1.PodDNSConfigOption{{Name: option}}}
		return pod
	}
	first := DNSConfig(host, podWith("6.6.6.6", "one.example", "one"))
	second := DNSConfig(host, podWith("7.7.7.7", "two.example", "two"))
	assertProto(t, "first pod", first, &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1", "6.6.6.6"}, Searches: []string{"one.example"}, Options: []string{"one"}})
	assertProto(t, "second pod", second, &runtimeapi.DNSConfig{Servers: []string{"10.0.0.1", "7.7.7.7"}, Searches: []string{"two.example"}, Options: []string{"two"}})
	if !slices.Equal(host.Servers, []string{"10.0.0.1"}) || len(host.Searches) != 0 || len(host.Options) != 0 {
		t.Fatalf("the node's settings became %v", host)
	}
}

func TestWhoNeedsWhichDNS(t *testing.T) {
	tests := []struct {
		policy              v1.DNSPolicy
		hostNetwork         bool
		needsHost, expected bool
	}{
		{"", false, true, true},
		{v1.DNSClusterFirst, false, true, true},
		{v1.DNSClusterFirstWithHostNet, false, true, false},
		{v1.DNSDefault, false, true, false},
		{v1.DNSNone, false, false, false},
		{v1.DNSClusterFirst, true, false, false},
		{v1.DNSDefault, true, false, false},
	}
	for _, tt := range tests {
		pod := testPod()
		pod.Spec.DNSPolicy, pod.Spec.HostNetwork = tt.policy, tt.hostNetwork
		if got := NeedsHostDNS(pod); got != tt.needsHost {
			t.Errorf("policy %q hostNetwork %v: NeedsHostDNS = %v, want %v", tt.policy, tt.hostNetwork, got, tt.needsHost)
		}
		if got := ExpectsClusterDNS(pod); got != tt.expected {
			t.Errorf("policy %q hostNetwork %v: ExpectsClusterDNS = %v, want %v", tt.policy, tt.hostNetwork, got, tt.expected)
		}
	}
}
