package framework

import (
	"context"
	"testing"
)

// LinkHost joins the host's network namespace to ns with a veth pair,
// named hostIf on the host and nsIf inside ns, and brings both ends up.
// hostAddr and nsAddr (CIDR notation) are the ends' addresses; "" leaves
// an end without one. The pair is deleted when the test ends (and goes
// with ns anyway).
func LinkHost(t testing.TB, ns *Netns, hostIf, hostAddr, nsIf, nsAddr string) {
	t.Helper()
	MustRun(t, "ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf, "netns", ns.Name)
	Cleanup(t, "delete veth "+hostIf, func(context.Context) error {
		if RunErr("ip", "link", "show", hostIf) != nil {
			return nil // gone with its namespace
		}
		return RunErr("ip", "link", "del", hostIf)
	})
	if hostAddr != "" {
		MustRun(t, "ip", "addr", "add", hostAddr, "dev", hostIf)
	}
	MustRun(t, "ip", "link", "set", hostIf, "up")
	if nsAddr != "" {
		ns.MustRun(t, "ip", "addr", "add", nsAddr, "dev", nsIf)
	}
	ns.MustRun(t, "ip", "link", "set", nsIf, "up")
}

// HostRoute adds a route in the host's namespace to dst (CIDR notation)
// out of dev, a link the test made, and removes it when the test ends.
func HostRoute(t testing.TB, dst, dev string) {
	t.Helper()
	MustRun(t, "ip", "route", "add", dst, "dev", dev)
	Cleanup(t, "delete route to "+dst, func(context.Context) error {
		if RunErr("ip", "link", "show", dev) != nil {
			return nil // the route went with its link
		}
		return RunErr("ip", "route", "del", dst, "dev", dev)
	})
}
