package portforward

import (
	"fmt"
	"net/netip"
	"strings"
)

// The direct path dials the pod IP from this host. That reaches the pod
// only when the agent runs here: a pod IP names a pod on its own node, and
// another node's pod may share its IP with one of this node's pods (every
// node allocates from its own range, and ranges may overlap) or with
// anything else this host routes to. So the pod IP is trusted only when
// --server is this host; against another node every connection goes
// through the agent's CRI tunnel, which reaches the pod the agent means.
// A remote agent reached through a local port forward (ssh -L) looks like
// this host; --direct=never is the way to say otherwise.

// serverFacts is what deciding the path needs to know about --server.
type serverFacts struct {
	// Unix is set for a unix:// server, which is on this host by nature.
	Unix bool
	// Host is the server URL's host, as given.
	Host string
	// Addrs are what Host resolved to: itself for an IP address.
	Addrs []netip.Addr
	// ResolveErr is why Host did not resolve, if it did not.
	ResolveErr error
	// Own are the addresses of this host's interfaces.
	Own []netip.Addr
}

// serverIsThisHost reports whether the server is this host, and why or why
// not, for the log: a unix socket, or a host whose every address is a
// loopback address or one of this host's own. A host that resolves to
// several addresses counts as local only if all of them are, since the
// client may connect to any of them.
func serverIsThisHost(f serverFacts) (bool, string) {
	if f.Unix {
		return true, "the server is a unix socket on this host"
	}
	if f.ResolveErr != nil {
		return false, fmt.Sprintf("the server's host %q did not resolve: %v", f.Host, f.ResolveErr)
	}
	if len(f.Addrs) == 0 {
		return false, fmt.Sprintf("the server's host %q resolved to no address", f.Host)
	}
	own := map[netip.Addr]bool{}
	for _, addr := range f.Own {
		own[plainAddr(addr)] = true
	}
	var kinds []string
	for _, addr := range f.Addrs {
		addr = plainAddr(addr)
		switch {
		case addr.IsLoopback():
			kinds = append(kinds, addr.String()+" is loopback")
		case addr.IsUnspecified():
			kinds = append(kinds, addr.String()+" reaches this host")
		case own[addr]:
			kinds = append(kinds, addr.String()+" is an address of this host")
		default:
			return false, fmt.Sprintf("the server %s is at %s, which is not an address of this host", f.Host, addr)
		}
	}
	return true, "the server " + f.Host + " is this host: " + strings.Join(kinds, ", ")
}

// plainAddr drops what does not change which host an address names: the
// IPv4-in-IPv6 mapping and an IPv6 zone.
func plainAddr(addr netip.Addr) netip.Addr {
	return addr.Unmap().WithZone("")
}

// effectiveDirectMode is the path mode a session uses: the one asked for
// when the server is this host; otherwise the tunnel only, and an error
// for --direct=always, which forbids the tunnel.
func effectiveDirectMode(asked DirectMode, serverLocal bool, why string) (DirectMode, error) {
	if serverLocal || asked == DirectNever {
		return asked, nil
	}
	if asked == DirectAlways {
		return "", fmt.Errorf("--direct=always dials the pod IP, which reaches the pod only from its own node, and %s; use --direct=auto or never, which go through the agent's tunnel", why)
	}
	return DirectNever, nil
}
