package cni

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// RouteProtocol tags the routes to peers' pod CIDRs so they can be told
// apart from every other route on the host (`ip route show proto 177`).
// Only routes carrying it are ever changed or removed.
const RouteProtocol = 177

// routeTable is the part of the kernel routing table routing needs.
type routeTable interface {
	// listOurs returns the main-table routes tagged with RouteProtocol.
	listOurs(family int) ([]netlink.Route, error)
	// foreign reports whether a route to exactly dst that is not ours is
	// in the main table: ours must never replace it.
	foreign(family int, dst *net.IPNet) (bool, error)
	replace(route *netlink.Route) error
	remove(route *netlink.Route) error
}

// peerRoutes keeps one route per peer and removes our routes to peers that
// are no longer configured. peers are the --peer flags; learnt are the
// other nodes of the cluster this node joined (SetPeers). Callers hold
// the Manager's lock.
type peerRoutes struct {
	table  routeTable
	family int
	peers  []Peer
	learnt []Peer
}

func (r *peerRoutes) name() string { return "routes to peer pod CIDRs" }

// routeChanges is the difference between wanted and installed routes.
type routeChanges struct {
	replace []netlink.Route
	remove  []netlink.Route
}

// planRoutes compares our installed routes with the peers: a missing route
// or one with the wrong gateway is replaced, one to an unknown CIDR removed.
func planRoutes(peers []Peer, installed []netlink.Route) routeChanges {
	var changes routeChanges
	wanted := make(map[string]bool, len(peers))
	for _, peer := range peers {
		want := peerRoute(peer)
		wanted[peer.PodCIDR.String()] = true
		if !hasRoute(installed, want) {
			changes.replace = append(changes.replace, want)
		}
	}
	for _, route := range installed {
		if route.Dst == nil || !wanted[route.Dst.String()] {
			changes.remove = append(changes.remove, route)
		}
	}
	return changes
}

func peerRoute(peer Peer) netlink.Route {
	return netlink.Route{
		Dst:      peer.PodCIDR,
		Gw:       peer.NodeIP,
		Protocol: RouteProtocol,
		Table:    unix.RT_TABLE_MAIN,
	}
}

func hasRoute(installed []netlink.Route, want netlink.Route) bool {
	for _, route := range installed {
		if route.Dst != nil && route.Dst.String() == want.Dst.String() && route.Gw.Equal(want.Gw) {
			return true
		}
	}
	return false
}

// ensure applies planRoutes; changed reports whether anything was written.
func (r *peerRoutes) ensure(context.Context) (changed bool, err error) {
	installed, err := r.table.listOurs(r.family)
	if err != nil {
		return false, fmt.Errorf("listing routes with protocol %d: %w", RouteProtocol, err)
	}
	changes := planRoutes(append(append([]Peer(nil), r.peers...), r.learnt...), installed)
	var errs []error
	for _, route := range changes.replace {
		if taken, err := r.table.foreign(r.family, route.Dst); err != nil || taken {
			if err == nil {
				err = fmt.Errorf("the host already routes %s (not a route of minikubelet's): left as it is", route.Dst)
			}
			errs = append(errs, err)
			continue
		}
		if err := r.table.replace(&route); err != nil {
			errs = append(errs, routeError(route, err))
			continue
		}
		changed = true
	}
	for _, route := range changes.remove {
		if err := r.table.remove(&route); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("removing route to %s of a peer no longer configured: %w", route.Dst, err))
			continue
		}
		changed = true
	}
	return changed, errors.Join(errs...)
}

func routeError(route netlink.Route, err error) error {
	if errors.Is(err, syscall.ENETUNREACH) {
		return fmt.Errorf("adding route to peer pod CIDR %s via %s: %w: the peer's node IP must be on a directly connected network",
			route.Dst, route.Gw, err)
	}
	return fmt.Errorf("adding route to peer pod CIDR %s via %s: %w", route.Dst, route.Gw, err)
}

// netlinkTable is the host's routing table.
type netlinkTable struct{}

func (netlinkTable) listOurs(family int) ([]netlink.Route, error) {
	filter := &netlink.Route{Protocol: RouteProtocol, Table: unix.RT_TABLE_MAIN}
	return redoInterrupted(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(family, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
	})
}

func (netlinkTable) foreign(family int, dst *net.IPNet) (bool, error) {
	filter := &netlink.Route{Dst: dst, Table: unix.RT_TABLE_MAIN}
	routes, err := redoInterrupted(func() ([]netlink.Route, error) {
		return netlink.RouteListFiltered(family, filter, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return false, fmt.Errorf("listing routes to %s: %w", dst, err)
	}
	for _, route := range routes {
		if route.Protocol != RouteProtocol {
			return true, nil
		}
	}
	return false, nil
}

func (netlinkTable) replace(route *netlink.Route) error { return netlink.RouteReplace(route) }

func (netlinkTable) remove(route *netlink.Route) error { return netlink.RouteDel(route) }

// familyOf returns the netlink family of a pod CIDR.
func familyOf(cidr *net.IPNet) int {
	if cidr.IP.To4() != nil {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}
