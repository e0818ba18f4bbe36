package cni

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
)

// The bridge plugin gives the bridge the pod CIDR's gateway on the first
// ADD and never changes it: with another address of the family there
// (from an earlier --pod-cidr) every ADD fails with `"mkbr0" already has
// an IP address different from 10.77.0.1/16`. So at start the manager
// re-addresses a bridge no pod uses, and refuses, naming the fix, when
// pods of the old range are still attached.

// bridgeState is what the host has of the bridge.
type bridgeState struct {
	exists bool
	// addrs are the bridge's addresses in the pod CIDR's family.
	addrs []*net.IPNet
	// ports are the interfaces attached to it: one veth per live pod.
	ports []string
}

// bridgeLinks reads and re-addresses the bridge; tests fake it.
type bridgeLinks interface {
	state(bridge string, family int) (bridgeState, error)
	readdress(bridge string, remove []*net.IPNet, add *net.IPNet) error
}

// BridgeInUseError refuses a pod CIDR change while pods use the bridge.
type BridgeInUseError struct {
	Bridge  string
	Has     *net.IPNet
	PodCIDR *net.IPNet
	Ports   []string
}

func (e *BridgeInUseError) Error() string {
	ports := e.Ports
	if len(ports) > 5 {
		ports = append(ports[:5:5], fmt.Sprintf("and %d more", len(e.Ports)-5))
	}
	old := &net.IPNet{IP: e.Has.IP.Mask(e.Has.Mask), Mask: e.Has.Mask}
	return fmt.Sprintf("bridge %s has address %s from pod CIDR %s, but --pod-cidr %s needs %s, and pods of the old range still use it "+
		"(%d attached: %s): remove those pods first, or keep --pod-cidr %s, or give the new range another --bridge-name",
		e.Bridge, e.Has, old, e.PodCIDR, gatewayOf(e.PodCIDR), len(e.Ports), strings.Join(ports, ", "), old)
}

// gatewayOf is the address the bridge plugin gives the bridge: host-local's
// default gateway, the first address of the range, with the range's mask.
func gatewayOf(podCIDR *net.IPNet) *net.IPNet {
	ip := podCIDR.IP.Mask(podCIDR.Mask)
	gateway := make(net.IP, len(ip))
	copy(gateway, ip)
	for i := len(gateway) - 1; i >= 0; i-- {
		gateway[i]++
		if gateway[i] != 0 {
			break
		}
	}
	return &net.IPNet{IP: gateway, Mask: podCIDR.Mask}
}

// planBridgeAddress returns the addresses to remove so that the bridge can
// carry the pod CIDR's gateway, as the bridge plugin judges a conflict:
// any other IPv4 address, or an IPv6 one overlapping the range (link-local
// addresses stay). It refuses while ports are attached.
func planBridgeAddress(bridge string, current bridgeState, podCIDR *net.IPNet) (remove []*net.IPNet, err error) {
	want := gatewayOf(podCIDR)
	for _, addr := range current.addrs {
		if addr.String() == want.String() {
			continue
		}
		if addr.IP.To4() != nil || addr.Contains(want.IP) || want.Contains(addr.IP) {
			remove = append(remove, addr)
		}
	}
	if len(remove) > 0 && len(current.ports) > 0 {
		return nil, &BridgeInUseError{Bridge: bridge, Has: remove[0], PodCIDR: podCIDR, Ports: current.ports}
	}
	return remove, nil
}

// ensureBridgeAddress re-addresses the bridge for the pod CIDR when it
// carries another range and no pod uses it. changed says it did.
func ensureBridgeAddress(links bridgeLinks, bridge string, podCIDR *net.IPNet) (changed bool, err error) {
	current, err := links.state(bridge, familyOf(podCIDR))
	if err != nil || !current.exists {
		return false, err
	}
	remove, err := planBridgeAddress(bridge, current, podCIDR)
	if err != nil || len(remove) == 0 {
		return false, err
	}
	if err := links.readdress(bridge, remove, gatewayOf(podCIDR)); err != nil {
		return false, fmt.Errorf("re-addressing bridge %s for pod CIDR %s: %w", bridge, podCIDR, err)
	}
	return true, nil
}

// netlinkBridge is the host's bridge, through netlink.
type netlinkBridge struct{}

func (netlinkBridge) state(bridge string, family int) (bridgeState, error) {
	link, err := netlink.LinkByName(bridge)
	var notFound netlink.LinkNotFoundError
	if errors.As(err, &notFound) {
		return bridgeState{}, nil
	}
	if err != nil {
		return bridgeState{}, fmt.Errorf("looking up bridge %s: %w", bridge, err)
	}
	addrs, err := redoInterrupted(func() ([]netlink.Addr, error) { return netlink.AddrList(link, family) })
	if err != nil {
		return bridgeState{}, fmt.Errorf("listing the addresses of bridge %s: %w", bridge, err)
	}
	state := bridgeState{exists: true}
	for _, addr := range addrs {
		state.addrs = append(state.addrs, addr.IPNet)
	}
	links, err := redoInterrupted(netlink.LinkList)
	if err != nil {
		return bridgeState{}, fmt.Errorf("listing interfaces to find those on bridge %s: %w", bridge, err)
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == link.Attrs().Index {
			state.ports = append(state.ports, l.Attrs().Name)
		}
	}
	return state, nil
}

func (netlinkBridge) readdress(bridge string, remove []*net.IPNet, add *net.IPNet) error {
	link, err := netlink.LinkByName(bridge)
	if err != nil {
		return err
	}
	for _, addr := range remove {
		if err := netlink.AddrDel(link, &netlink.Addr{IPNet: addr}); err != nil {
			return fmt.Errorf("removing %s: %w", addr, err)
		}
	}
	if err := netlink.AddrAdd(link, &netlink.Addr{IPNet: add}); err != nil {
		return fmt.Errorf("adding %s: %w", add, err)
	}
	return nil
}
