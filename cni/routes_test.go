package cni

import (
	"context"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// fakeTable is a routing table holding only our tagged routes.
type fakeTable struct {
	routes     []netlink.Route
	replaceErr error
	hosts      []string // destinations of routes that are not ours
}

func (f *fakeTable) foreign(_ int, dst *net.IPNet) (bool, error) {
	return slices.Contains(f.hosts, dst.String()), nil
}

func (f *fakeTable) listOurs(int) ([]netlink.Route, error) {
	return append([]netlink.Route(nil), f.routes...), nil
}

func (f *fakeTable) replace(route *netlink.Route) error {
	if f.replaceErr != nil {
		return f.replaceErr
	}
	f.removeDst(route.Dst)
	f.routes = append(f.routes, *route)
	return nil
}

func (f *fakeTable) remove(route *netlink.Route) error {
	f.removeDst(route.Dst)
	return nil
}

func (f *fakeTable) removeDst(dst *net.IPNet) {
	kept := f.routes[:0]
	for _, r := range f.routes {
		if r.Dst.String() != dst.String() {
			kept = append(kept, r)
		}
	}
	f.routes = kept
}

func (f *fakeTable) describe() string {
	var out []string
	for _, r := range f.routes {
		out = append(out, r.Dst.String()+" via "+r.Gw.String())
	}
	return strings.Join(out, ", ")
}

func TestPlanRoutes(t *testing.T) {
	peers := []Peer{mustPeer(t, "192.168.1.12=10.88.2.0/24"), mustPeer(t, "192.168.1.13=10.88.3.0/24")}
	installed := []netlink.Route{
		peerRoute(mustPeer(t, "192.168.1.12=10.88.2.0/24")), // correct
		peerRoute(mustPeer(t, "192.168.1.99=10.88.3.0/24")), // wrong gateway
		peerRoute(mustPeer(t, "192.168.1.14=10.88.4.0/24")), // peer removed
	}
	changes := planRoutes(peers, installed)
	if len(changes.replace) != 1 || changes.replace[0].Dst.String() != "10.88.3.0/24" || changes.replace[0].Gw.String() != "192.168.1.13" {
		t.Errorf("replace %v", changes.replace)
	}
	if len(changes.remove) != 1 || changes.remove[0].Dst.String() != "10.88.4.0/24" {
		t.Errorf("remove %v", changes.remove)
	}
	if changes.replace[0].Protocol != RouteProtocol {
		t.Error("routes must carry our protocol tag so only ours are ever removed")
	}
}

func TestPeerRoutesConverge(t *testing.T) {
	table := &fakeTable{}
	routes := &peerRoutes{table: table, family: netlink.FAMILY_V4,
		peers: []Peer{mustPeer(t, "192.168.1.12=10.88.2.0/24"), mustPeer(t, "192.168.1.13=10.88.3.0/24")}}
	changed, err := routes.ensure(context.Background())
	if err != nil || !changed {
		t.Fatalf("changed %v err %v", changed, err)
	}
	if got := table.describe(); got != "10.88.2.0/24 via 192.168.1.12, 10.88.3.0/24 via 192.168.1.13" {
		t.Fatalf("routes: %s", got)
	}
	if changed, err := routes.ensure(context.Background()); err != nil || changed {
		t.Fatalf("second ensure changed %v err %v", changed, err)
	}
	routes.peers = routes.peers[:1]
	if changed, err := routes.ensure(context.Background()); err != nil || !changed {
		t.Fatalf("after dropping a peer: changed %v err %v", changed, err)
	}
	if got := table.describe(); got != "10.88.2.0/24 via 192.168.1.12" {
		t.Fatalf("routes: %s", got)
	}
}

func TestPeerRouteErrorExplainsUnreachableGateway(t *testing.T) {
	table := &fakeTable{replaceErr: syscall.ENETUNREACH}
	routes := &peerRoutes{table: table, peers: []Peer{mustPeer(t, "172.31.0.9=10.88.2.0/24")}}
	_, err := routes.ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "10.88.2.0/24 via 172.31.0.9") || !strings.Contains(err.Error(), "directly connected") {
		t.Fatalf("got %v", err)
	}
}

// Peers learnt from the cluster are routed beside the --peer ones, and a
// node that leaves the cluster loses its route while the flag's stays.
func TestSetPeersRoutesLearntPeersBesideTheFlags(t *testing.T) {
	table := &fakeTable{}
	flags := []Peer{mustPeer(t, "192.168.1.12=10.88.2.0/24")}
	logger, _ := newTestLogger(t)
	m, err := newManager(Config{PodCIDR: "10.88.1.0/24", ClusterCIDR: "10.88.0.0/16",
		ConfDir: t.TempDir(), DataDir: t.TempDir(), CacheDir: t.TempDir(), Logger: logger}, &fakeSandboxes{}, deps{
		exec: newFakeExec(t.TempDir()),
		hosts: func(network) []hostSetup {
			return []hostSetup{&peerRoutes{table: table, family: netlink.FAMILY_V4, peers: flags}}
		},
		now: time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := m.SetPeers(ctx, []Peer{mustPeer(t, "192.168.1.13=10.88.3.0/24"), mustPeer(t, "192.168.1.66=0.0.0.0/0")}); err != nil {
		t.Fatal(err)
	}
	if got := table.describe(); got != "10.88.2.0/24 via 192.168.1.12, 10.88.3.0/24 via 192.168.1.13" {
		t.Errorf("routes after a node joined and a hostile Node claimed 0.0.0.0/0: %s", got)
	}
	if err := m.SetPeers(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := table.describe(); got != "10.88.2.0/24 via 192.168.1.12" {
		t.Errorf("routes after it left: %s", got)
	}
}

// A route the host already has to the same destination (the LAN's, a VPN's)
// is never replaced by a peer's.
func TestPeerRoutesLeaveTheHostsOwnRoutes(t *testing.T) {
	table := &fakeTable{hosts: []string{"10.88.3.0/24"}}
	routes := &peerRoutes{table: table, family: netlink.FAMILY_V4,
		peers: []Peer{mustPeer(t, "192.168.1.12=10.88.2.0/24"), mustPeer(t, "192.168.1.13=10.88.3.0/24")}}
	_, err := routes.ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already routes 10.88.3.0/24") {
		t.Errorf("error %v: want the host's own route named", err)
	}
	if got := table.describe(); got != "10.88.2.0/24 via 192.168.1.12" {
		t.Errorf("routes: %s", got)
	}
}
