package translate

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestEtcHosts(t *testing.T) {
	const header = "# Kubernetes-managed hosts file.\n"
	aliases := []v1.HostAlias{{IP: "10.1.2.3", Hostnames: []string{"db", "db.internal"}}, {IP: "10.1.2.4", Hostnames: []string{"cache"}}}
	const aliasLines = "\n# Entries added by HostAliases.\n10.1.2.3\tdb\tdb.internal\n10.1.2.4\tcache\n"
	tests := []struct {
		name      string
		change    func(*v1.Pod)
		ips       []string
		nodeHosts string
		manages   bool
		want      string
	}{
		{name: "the pod's IPs with its hostname", ips: []string{"10.88.0.7", "fd00::7"}, manages: true,
			want: header + localhostEntries + "10.88.0.7\tweb\nfd00::7\tweb\n"},
		{name: "with a subdomain, the FQDN first", change: func(p *v1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "db-0", "db" },
			ips: []string{"10.88.0.7"}, manages: true,
			want: header + localhostEntries + "10.88.0.7\tdb-0.db.default.svc.cluster.local\tdb-0\n"},
		{name: "a hostname override is the whole name, subdomain or not",
			change: func(p *v1.Pod) {
				p.Spec.Hostname, p.Spec.Subdomain, p.Spec.HostnameOverride = "db-0", "db", ptr("override.example.host")
			},
			ips: []string{"10.88.0.7"}, manages: true,
			want: header + localhostEntries + "10.88.0.7\toverride.example.host\n"},
		{name: "no IPs yet: localhost only", manages: true, want: header + localhostEntries},
		{name: "hostAliases after the pod's own entries", change: func(p *v1.Pod) { p.Spec.HostAliases = aliases },
			ips: []string{"10.88.0.7"}, manages: true,
			want: header + localhostEntries + "10.88.0.7\tweb\n" + aliasLines},
		{name: "host network with hostAliases: the node's file, then the aliases",
			change:    func(p *v1.Pod) { p.Spec.HostNetwork, p.Spec.HostAliases = true, aliases },
			nodeHosts: "127.0.0.1\tlocalhost\n192.168.1.5\tnode1\n", manages: true,
			want: "# Kubernetes-managed hosts file (host network).\n" + "127.0.0.1\tlocalhost\n192.168.1.5\tnode1\n" + aliasLines},
		{name: "host network without hostAliases sees the node's own file", change: func(p *v1.Pod) { p.Spec.HostNetwork = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			if tt.change != nil {
				tt.change(pod)
			}
			if got := ManagesEtcHosts(pod); got != tt.manages {
				t.Fatalf("ManagesEtcHosts = %v, want %v", got, tt.manages)
			}
			if !tt.manages {
				return
			}
			if got := string(EtcHosts(pod, tt.ips, []byte(tt.nodeHosts))); got != tt.want {
				t.Errorf("/etc/hosts:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
