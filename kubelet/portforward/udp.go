package portforward

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxDatagram is the largest UDP payload; a smaller buffer would truncate.
const maxDatagram = 64 << 10

// udpRelay forwards datagrams from a local UDP socket to the pod IP. The
// runtime's tunnel carries TCP only, so UDP goes straight to the pod.
// Each local client address gets its own connected socket towards the pod,
// so replies find their way back, like a NAT mapping; a mapping that is
// quiet for idle is dropped.
type udpRelay struct {
	local  *net.UDPConn
	target func() (netip.AddrPort, bool)
	idle   time.Duration
	log    *slog.Logger

	mu     sync.Mutex
	flows  map[netip.AddrPort]*udpFlow
	closed bool
	wg     sync.WaitGroup
}

// udpFlow is one client's mapping towards the pod.
type udpFlow struct {
	upstream *net.UDPConn
	mu       sync.Mutex
	last     time.Time
}

func (f *udpFlow) touch() {
	f.mu.Lock()
	f.last = time.Now()
	f.mu.Unlock()
}

func (f *udpFlow) quietFor() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Since(f.last)
}

// serve relays until the local socket is closed, then closes every flow
// and waits for their reply loops.
func (r *udpRelay) serve() {
	defer r.closeFlows()
	buf := make([]byte, maxDatagram)
	for {
		n, client, err := r.local.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			r.log.Debug("reading a local UDP datagram", "err", err)
			continue
		}
		flow, err := r.flow(client)
		if err != nil {
			r.log.Warn("UDP forwarding failed", "client", client, "err", err)
			continue
		}
		flow.touch()
		if _, err := flow.upstream.Write(buf[:n]); err != nil {
			r.log.Debug("sending a UDP datagram to the pod", "client", client, "err", err)
		}
	}
}

// flow returns the client's mapping, creating it on its first datagram.
func (r *udpRelay) flow(client netip.AddrPort) (*udpFlow, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if flow, ok := r.flows[client]; ok {
		return flow, nil
	}
	if r.closed {
		return nil, net.ErrClosed
	}
	target, ok := r.target()
	if !ok {
		return nil, errors.New("the pod has no IP to send UDP to")
	}
	upstream, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(target))
	if err != nil {
		return nil, err
	}
	flow := &udpFlow{upstream: upstream, last: time.Now()}
	r.flows[client] = flow
	r.wg.Add(1)
	go r.replies(client, flow)
	return flow, nil
}

// replies sends the pod's answers back to the client until the flow has
// been idle too long or the relay closes.
func (r *udpRelay) replies(client netip.AddrPort, flow *udpFlow) {
	defer r.wg.Done()
	defer r.forget(client, flow)
	buf := make([]byte, maxDatagram)
	for {
		_ = flow.upstream.SetReadDeadline(time.Now().Add(r.idle - flow.quietFor()))
		n, err := flow.upstream.Read(buf)
		var netErr net.Error
		switch {
		case errors.As(err, &netErr) && netErr.Timeout():
			if flow.quietFor() >= r.idle {
				return
			}
			continue
		case errors.Is(err, net.ErrClosed):
			return
		case err != nil:
			// ICMP port unreachable from the pod surfaces here; the client
			// may retry once the app listens, so keep the mapping.
			r.log.Debug("UDP reply from the pod", "client", client, "err", err)
			continue
		}
		flow.touch()
		if _, err := r.local.WriteToUDPAddrPort(buf[:n], client); err != nil {
			r.log.Debug("returning a UDP reply", "client", client, "err", err)
		}
	}
}

func (r *udpRelay) forget(client netip.AddrPort, flow *udpFlow) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flows[client] == flow {
		delete(r.flows, client)
	}
	_ = flow.upstream.Close()
}

func (r *udpRelay) closeFlows() {
	r.mu.Lock()
	r.closed = true
	for _, flow := range r.flows {
		_ = flow.upstream.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
