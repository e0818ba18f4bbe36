package portforward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
)

// acceptRetryDelay keeps a failing Accept (e.g. out of file descriptors)
// from spinning.
const acceptRetryDelay = 50 * time.Millisecond

// Session is a running port-forward: local sockets, the tunnel, and a
// watch on the pod that ends the session when the pod goes away.
type Session struct {
	opts    Options
	agent   *agentClient
	pod     *v1.Pod
	sockets []socket
	tunnel  *tunnel
	routes  *routeChoice
	log     *slog.Logger
	// redirect is the kernel redirect of loopback connections, nil when
	// not in use; set before the session's goroutines start.
	redirect *kernelRedirect

	ctx     context.Context
	cancel  context.CancelFunc
	conns   connSet
	wg      sync.WaitGroup
	recheck chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	podIP  netip.Addr
	endErr error
}

func startSession(ctx context.Context, opts Options, agent *agentClient, pod *v1.Pod, forwards []forwarding) (*Session, error) {
	sockets, err := bindAll(opts.Addresses, forwards)
	if err != nil {
		return nil, fmt.Errorf("port-forward to pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	s := &Session{
		opts: opts, agent: agent, pod: pod, sockets: sockets,
		tunnel: &tunnel{agent: agent, path: tunnelPath(pod), pingPeriod: opts.PingPeriod, dialWait: opts.TunnelDialTimeout},
		routes: newRouteChoice(opts.Direct, time.Now),
		log:    opts.Logger.With("pod", pod.Namespace+"/"+pod.Name),
		conns:  connSet{open: map[net.Conn]struct{}{}}, recheck: make(chan struct{}, 1), done: make(chan struct{}),
	}
	s.podIP, _ = netip.ParseAddr(pod.Status.PodIP)
	s.ctx, s.cancel = context.WithCancel(ctx)
	if opts.Direct == DirectNever {
		// Without a direct path the tunnel is the session: fail now, as
		// kubectl does, rather than on the first connection.
		if _, err := s.tunnel.connection(ctx); err != nil {
			s.cancel()
			closeSockets(sockets)
			return nil, err
		}
	}
	s.startRedirect()
	for _, sock := range sockets {
		fmt.Fprintln(opts.Out, sock.port)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveSocket(sock)
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watchPod()
	}()
	go s.supervise()
	return s, nil
}

// tunnelPath is the kubelet route with the pod's UID, so the agent refuses
// a pod of the same name that replaced ours.
func tunnelPath(pod *v1.Pod) []string {
	parts := []string{"portForward", pod.Namespace, pod.Name}
	if pod.UID != "" {
		parts = append(parts, string(pod.UID))
	}
	return parts
}

// Ports lists the local sockets the session listens on.
func (s *Session) Ports() []ForwardedPort {
	ports := make([]ForwardedPort, 0, len(s.sockets))
	for _, sock := range s.sockets {
		ports = append(ports, sock.port)
	}
	return ports
}

// Done is closed once the session has stopped and released everything.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait blocks until the session has stopped. It returns nil when the
// session's context ended, or why the session ended by itself (a
// *PodGoneError when the pod went away).
func (s *Session) Wait() error {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endErr
}

// end stops the session for a reason of its own; the first reason wins.
func (s *Session) end(err error) {
	s.mu.Lock()
	if s.endErr == nil && s.ctx.Err() == nil {
		s.endErr = err
	}
	s.mu.Unlock()
	s.cancel()
}

// supervise releases everything once the session's context ends.
func (s *Session) supervise() {
	<-s.ctx.Done()
	if s.redirect != nil {
		s.redirect.close()
	}
	closeSockets(s.sockets)
	s.conns.closeAll()
	s.tunnel.close()
	s.wg.Wait()
	s.agent.close()
	close(s.done)
}

func (s *Session) serveSocket(sock socket) {
	if sock.packet != nil {
		relay := &udpRelay{local: sock.packet, idle: s.opts.UDPIdleTimeout, flows: map[netip.AddrPort]*udpFlow{},
			target: func() (netip.AddrPort, bool) { return s.directTarget(sock.port.Remote) },
			log:    s.log.With("local", sock.port.Address, "remote", sock.port.Remote, "protocol", "UDP")}
		relay.serve()
		return
	}
	for {
		conn, err := sock.listener.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			s.log.Warn("accepting a local connection", "local", sock.port.Address, "err", err)
			time.Sleep(acceptRetryDelay)
			continue
		}
		local, ok := conn.(*net.TCPConn)
		if !ok || !s.conns.add(local) {
			_ = conn.Close()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.conns.remove(local)
			s.forward(local, sock.port)
		}()
	}
}

// forward carries one local connection to the pod, straight to the pod IP
// when allowed and answering, through the runtime's tunnel otherwise.
// Whatever fails here fails for this connection only.
func (s *Session) forward(local *net.TCPConn, port ForwardedPort) {
	defer local.Close()
	log := s.log.With("local", port.Address, "remote", port.Remote)
	if s.routes.tryDirect(port.Remote) {
		if s.forwardDirect(local, port, log) {
			return
		}
	}
	err := s.tunnel.forwardTunnel(s.ctx, local, port.Remote)
	if errors.Is(err, errPodNotOnAgent) {
		s.checkPodNow()
	}
	if err != nil && s.ctx.Err() == nil {
		log.Warn("forwarding a connection failed; the session goes on", "err", err)
	}
}

// forwardDirect tries the pod IP and reports whether it handled the
// connection (in always mode it handles failures too).
func (s *Session) forwardDirect(local *net.TCPConn, port ForwardedPort, log *slog.Logger) bool {
	target, ok := s.directTarget(port.Remote)
	if !ok {
		if s.opts.Direct == DirectAlways {
			log.Warn("forwarding a connection failed: the pod has no IP and --direct=always forbids the tunnel")
			return true
		}
		return false
	}
	dialer := net.Dialer{Timeout: s.opts.DirectDialTimeout}
	conn, err := dialer.DialContext(s.ctx, "tcp", target.String())
	if err != nil {
		if s.opts.Direct == DirectAlways {
			log.Warn("forwarding a connection failed", "err", err)
			return true
		}
		if s.routes.directFailed(port.Remote) {
			log.Info("the pod IP does not answer on this port; using the runtime tunnel, which reaches ports bound to the pod's localhost", "target", target, "err", err)
		}
		return false
	}
	remote := conn.(*net.TCPConn)
	if s.routes.directSucceeded(port.Remote) {
		log.Info("forwarding straight to the pod IP", "target", target)
	}
	if !s.conns.add(remote) {
		_ = remote.Close()
		return true
	}
	defer s.conns.remove(remote)
	if err := pipeConns(local, remote); err != nil {
		log.Debug("direct connection ended with an error", "err", err)
	}
	return true
}

// directTarget is podIP:port, if the pod has an IP.
func (s *Session) directTarget(port int32) (netip.AddrPort, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.podIP.IsValid() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(s.podIP, uint16(port)), true
}

// checkPodNow asks the pod watch to look at once, e.g. after the agent
// refused the tunnel with 404.
func (s *Session) checkPodNow() {
	select {
	case s.recheck <- struct{}{}:
	default:
	}
}

// watchPod ends the session when the pod goes away and follows its IP.
// An agent that cannot be reached is only reported: forwarding that does
// not need it (the direct path) goes on.
func (s *Session) watchPod() {
	ticker := time.NewTicker(s.opts.PodCheckInterval)
	defer ticker.Stop()
	reported := false
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-ticker.C:
		case <-s.recheck:
		}
		now, err := fetchPod(s.ctx, s.agent, s.pod.Namespace, s.pod.Name)
		if errors.Is(err, errPodMissing) {
			now, err = nil, nil
		}
		if err != nil {
			if !reported && s.ctx.Err() == nil {
				s.log.Warn("cannot check the pod; forwarding goes on", "err", err)
				reported = true
			}
			continue
		}
		reported = false
		if reason := goneReason(s.pod, now); reason != "" {
			s.end(&PodGoneError{Namespace: s.pod.Namespace, Name: s.pod.Name, Reason: reason})
			return
		}
		s.followPodIP(now.Status.PodIP)
	}
}

func (s *Session) followPodIP(text string) {
	ip, err := netip.ParseAddr(text)
	s.mu.Lock()
	changed := err == nil && ip != s.podIP
	if changed {
		s.log.Info("the pod has a new IP", "ip", ip, "was", s.podIP)
		s.podIP = ip
	}
	s.mu.Unlock()
	if changed {
		s.updateRedirect()
	}
}

// connSet holds the session's open connections so that stopping the
// session closes them and no copy goroutine outlives it.
type connSet struct {
	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
}

func (c *connSet) add(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.open[conn] = struct{}{}
	return true
}

func (c *connSet) remove(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.open, conn)
}

func (c *connSet) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for conn := range c.open {
		_ = conn.Close()
	}
}
