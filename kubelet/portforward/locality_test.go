package portforward

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func addrs(texts ...string) []netip.Addr {
	out := make([]netip.Addr, 0, len(texts))
	for _, text := range texts {
		out = append(out, netip.MustParseAddr(text))
	}
	return out
}

func TestServerIsThisHost(t *testing.T) {
	own := addrs("127.0.0.1", "::1", "10.0.2.15", "fe80::1", "192.168.66.1")
	tests := []struct {
		name      string
		facts     serverFacts
		wantLocal bool
		wantWhy   string
	}{
		{"unix socket", serverFacts{Unix: true}, true, "unix socket"},
		{"IPv4 loopback", serverFacts{Host: "127.0.0.1", Addrs: addrs("127.0.0.1"), Own: own}, true, "127.0.0.1 is loopback"},
		{"other 127/8 address", serverFacts{Host: "127.0.0.53", Addrs: addrs("127.0.0.53"), Own: own}, true, "is loopback"},
		{"IPv6 loopback", serverFacts{Host: "::1", Addrs: addrs("::1"), Own: own}, true, "::1 is loopback"},
		{"IPv4-mapped loopback", serverFacts{Host: "::ffff:127.0.0.1", Addrs: addrs("::ffff:127.0.0.1"), Own: own}, true, "is loopback"},
		{"localhost resolving to both loopbacks", serverFacts{Host: "localhost", Addrs: addrs("127.0.0.1", "::1"), Own: own}, true, "127.0.0.1 is loopback, ::1 is loopback"},
		{"an address of this host", serverFacts{Host: "10.0.2.15", Addrs: addrs("10.0.2.15"), Own: own}, true, "10.0.2.15 is an address of this host"},
		{"this host's link-local address with a zone", serverFacts{Host: "fe80::1%eth0", Addrs: addrs("fe80::1%eth0"), Own: own}, true, "is an address of this host"},
		{"unspecified reaches this host", serverFacts{Host: "0.0.0.0", Addrs: addrs("0.0.0.0"), Own: own}, true, "reaches this host"},
		{"another node", serverFacts{Host: "192.168.66.2", Addrs: addrs("192.168.66.2"), Own: own}, false, "192.168.66.2, which is not an address of this host"},
		{"another node's name", serverFacts{Host: "node-b", Addrs: addrs("10.0.2.16"), Own: own}, false, "node-b is at 10.0.2.16"},
		{"a name that is partly elsewhere", serverFacts{Host: "both", Addrs: addrs("127.0.0.1", "10.9.9.9"), Own: own}, false, "10.9.9.9, which is not"},
		{"a name that does not resolve", serverFacts{Host: "nowhere", ResolveErr: errors.New("no such host"), Own: own}, false, "did not resolve: no such host"},
		{"a name that resolves to nothing", serverFacts{Host: "empty", Own: own}, false, "resolved to no address"},
		{"own addresses unreadable", serverFacts{Host: "10.0.2.15", Addrs: addrs("10.0.2.15")}, false, "not an address of this host"},
		{"loopback even when own addresses are unreadable", serverFacts{Host: "127.0.0.1", Addrs: addrs("127.0.0.1")}, true, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local, why := serverIsThisHost(tt.facts)
			if local != tt.wantLocal || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("serverIsThisHost = %v, %q; want %v and a reason saying %q", local, why, tt.wantLocal, tt.wantWhy)
			}
		})
	}
}

func TestEffectiveDirectMode(t *testing.T) {
	tests := []struct {
		asked   DirectMode
		local   bool
		want    DirectMode
		wantErr string
	}{
		{DirectAuto, true, DirectAuto, ""},
		{DirectAlways, true, DirectAlways, ""},
		{DirectNever, true, DirectNever, ""},
		{DirectAuto, false, DirectNever, ""},
		{DirectNever, false, DirectNever, ""},
		{DirectAlways, false, "", "--direct=always dials the pod IP, which reaches the pod only from its own node, and the server is elsewhere"},
	}
	for _, tt := range tests {
		got, err := effectiveDirectMode(tt.asked, tt.local, "the server is elsewhere")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("effectiveDirectMode(%s, local %v) = %q, %v; want an error saying %q", tt.asked, tt.local, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("effectiveDirectMode(%s, local %v) = %q, %v; want %q", tt.asked, tt.local, got, err, tt.want)
		}
	}
}

func TestResolveHostKeepsAnIPAsIs(t *testing.T) {
	got, err := resolveHost(t.Context(), "192.168.66.2")
	if err != nil || len(got) != 1 || got[0] != netip.MustParseAddr("192.168.66.2") {
		t.Errorf("resolveHost(192.168.66.2) = %v, %v", got, err)
	}
}
