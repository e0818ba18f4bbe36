package portforward

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// resolveTimeout bounds resolving the server's host name.
const resolveTimeout = 5 * time.Second

// lookupServerFacts gathers what serverIsThisHost needs: the server's
// addresses (a host name is resolved once, here) and this host's own.
func lookupServerFacts(ctx context.Context, agent *agentClient) serverFacts {
	if agent.unixSocket {
		return serverFacts{Unix: true}
	}
	facts := serverFacts{Host: agent.base.Hostname()}
	facts.Addrs, facts.ResolveErr = resolveHost(ctx, facts.Host)
	facts.Own = interfaceAddrs()
	return facts
}

// resolveHost returns host itself when it is an IP address, else what
// the system resolver says it is.
func resolveHost(ctx context.Context, host string) ([]netip.Addr, error) {
	if addr, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{addr}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// interfaceAddrs lists the addresses of this host's interfaces; none when
// they cannot be read, which only makes a server look remote.
func interfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	own := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if prefix, err := netip.ParsePrefix(a.String()); err == nil {
			own = append(own, prefix.Addr())
		}
	}
	return own
}
