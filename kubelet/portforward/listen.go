package portforward

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// localhost is kubectl's default --address: both loopbacks, and binding
// succeeds when at least one of them can be bound.
const localhost = "localhost"

// pickAttempts bounds retries when a port picked free for TCP turns out to
// be taken on another address or for UDP.
const pickAttempts = 10

// ForwardedPort is one local socket of a session.
type ForwardedPort struct {
	// Address is the bound local address, e.g. "127.0.0.1:8080".
	Address string
	// Local is the local port number.
	Local uint16
	// Remote is the pod's port.
	Remote int32
	// Protocol is TCP or UDP.
	Protocol v1.Protocol
}

// String renders kubectl's line: "Forwarding from 127.0.0.1:8080 -> 8080",
// with " (UDP)" added for UDP.
func (p ForwardedPort) String() string {
	line := fmt.Sprintf("Forwarding from %s -> %d", p.Address, p.Remote)
	if p.Protocol == v1.ProtocolUDP {
		line += " (UDP)"
	}
	return line
}

// socket is a bound local listener of either protocol.
type socket struct {
	port     ForwardedPort
	listener net.Listener // TCP
	packet   *net.UDPConn // UDP
}

func (s socket) close() {
	if s.listener != nil {
		_ = s.listener.Close()
	}
	if s.packet != nil {
		_ = s.packet.Close()
	}
}

// bindAll binds every forwarding on every address. A forwarding's sockets
// share one local port number across addresses; with Local 0 the first
// bind picks it. Under "localhost", an address that cannot be bound is
// skipped as long as another one is bound, as kubectl does.
func bindAll(addresses []string, forwards []forwarding) ([]socket, error) {
	hosts, lenient := expandAddresses(addresses)
	var all []socket
	for i := 0; i < len(forwards); {
		group := sameLocal(forwards, i)
		sockets, err := bindGroup(hosts, lenient, forwards[i:i+group])
		if err != nil {
			closeSockets(all)
			return nil, err
		}
		all = append(all, sockets...)
		i += group
	}
	return all, nil
}

// sameLocal counts the forwardings from i on that come from the same port
// spec (TCP and UDP of one port), which must share a local number.
func sameLocal(forwards []forwarding, i int) int {
	n := 1
	for i+n < len(forwards) && forwards[i+n].Remote == forwards[i].Remote && forwards[i+n].Local == forwards[i].Local && forwards[i+n].Protocol != forwards[i].Protocol {
		n++
	}
	return n
}

func expandAddresses(addresses []string) (hosts []string, lenient bool) {
	for _, addr := range addresses {
		if strings.TrimSpace(addr) == localhost {
			hosts = append(hosts, "127.0.0.1", "::1")
			lenient = true
			continue
		}
		hosts = append(hosts, strings.Trim(strings.TrimSpace(addr), "[]"))
	}
	return hosts, lenient
}

// bindGroup binds the forwardings of one port spec on every host, retrying
// with a new number when a picked port is taken somewhere.
func bindGroup(hosts []string, lenient bool, group []forwarding) ([]socket, error) {
	var lastErr error
	for attempt := 0; attempt < pickAttempts; attempt++ {
		sockets, err := tryBindGroup(hosts, lenient, group)
		if err == nil {
			return sockets, nil
		}
		lastErr = err
		if group[0].Local != 0 {
			break // a port the user chose: no other number to try
		}
	}
	return nil, lastErr
}

func tryBindGroup(hosts []string, lenient bool, group []forwarding) ([]socket, error) {
	local := group[0].Local
	var bound []socket
	var failures []error
	for _, host := range hosts {
		for _, fwd := range group {
			s, err := bindOne(host, local, fwd)
			if err != nil {
				failures = append(failures, err)
				continue
			}
			local = s.port.Local
			bound = append(bound, s)
		}
	}
	if len(failures) == 0 || (lenient && len(bound) > 0 && allProtocolsBound(bound, group)) {
		return bound, nil
	}
	closeSockets(bound)
	return nil, fmt.Errorf("binding local port for remote port %d: %w", group[0].Remote, errors.Join(failures...))
}

// allProtocolsBound checks that a lenient bind still serves every protocol
// of the group on some address.
func allProtocolsBound(bound []socket, group []forwarding) bool {
	for _, fwd := range group {
		found := false
		for _, s := range bound {
			found = found || s.port.Protocol == fwd.Protocol
		}
		if !found {
			return false
		}
	}
	return true
}

func bindOne(host string, local uint16, fwd forwarding) (socket, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(int(local)))
	port := ForwardedPort{Remote: fwd.Remote, Protocol: fwd.Protocol}
	if fwd.Protocol == v1.ProtocolUDP {
		udpAddr, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return socket{}, fmt.Errorf("local address %s: %w", addr, err)
		}
		conn, err := net.ListenUDP("udp", udpAddr)
		if err != nil {
			return socket{}, fmt.Errorf("listening on %s/udp: %w", addr, err)
		}
		port.Address, port.Local = conn.LocalAddr().String(), uint16(conn.LocalAddr().(*net.UDPAddr).Port)
		return socket{port: port, packet: conn}, nil
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return socket{}, fmt.Errorf("listening on %s: %w", addr, err)
	}
	port.Address, port.Local = listener.Addr().String(), uint16(listener.Addr().(*net.TCPAddr).Port)
	return socket{port: port, listener: listener}, nil
}

func closeSockets(sockets []socket) {
	for _, s := range sockets {
		s.close()
	}
}
