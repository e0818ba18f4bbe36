package portforward

import (
	"net"
	"net/netip"
	"sync"

	v1 "k8s.io/api/core/v1"
)

// startRedirect sets up the kernel redirect for the session's loopback TCP
// ports if the options allow it and this machine can do it; otherwise
// every connection keeps going through this process.
func (s *Session) startRedirect() {
	if !s.opts.KernelRedirect || s.opts.Direct == DirectNever {
		return
	}
	redirect, err := newKernelRedirect()
	if err != nil {
		s.log.Debug("connections cannot be redirected in the kernel here; forwarding them in this process", "err", err)
		return
	}
	s.redirect = redirect
	s.updateRedirect()
}

// updateRedirect points the kernel redirect at the pod's current IP, for
// the ports that answer there; the others (bound to the pod's localhost)
// stay on the tunnel. It runs at start and when the pod IP changes.
func (s *Session) updateRedirect() {
	if s.redirect == nil {
		return
	}
	candidates := s.redirectCandidates()
	answers := s.probeDirect(candidates)
	var rules []redirectRule
	for i, rule := range candidates {
		if answers[i] {
			rules = append(rules, rule)
		}
	}
	if err := s.redirect.set(rules); err != nil {
		s.log.Info("cannot redirect local connections in the kernel; forwarding them in this process", "err", err)
		s.redirect.close()
		return
	}
	for _, rule := range rules {
		s.log.Info("local connections go straight to the pod IP, redirected in the kernel", "local", rule.From, "target", rule.To)
	}
}

// redirectCandidates pairs every TCP socket on an IPv4 loopback address
// with its pod IP target; IPv6 sockets and other addresses are served by
// this process.
func (s *Session) redirectCandidates() []redirectRule {
	var rules []redirectRule
	for _, sock := range s.sockets {
		if sock.port.Protocol != v1.ProtocolTCP {
			continue
		}
		from, err := netip.ParseAddrPort(sock.port.Address)
		if err != nil || !from.Addr().Is4() || !from.Addr().IsLoopback() {
			continue
		}
		to, ok := s.directTarget(sock.port.Remote)
		if !ok || !to.Addr().Is4() {
			continue
		}
		rules = append(rules, redirectRule{From: from, To: to})
	}
	return rules
}

// probeDirect dials every target once, in parallel, and reports which
// answered; in always mode every target counts as answering. The outcome
// also primes the per-port route memory.
func (s *Session) probeDirect(rules []redirectRule) []bool {
	answers := make([]bool, len(rules))
	if s.opts.Direct == DirectAlways {
		for i := range answers {
			answers[i] = true
		}
		return answers
	}
	var wg sync.WaitGroup
	for i, rule := range rules {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialer := net.Dialer{Timeout: s.opts.DirectDialTimeout}
			conn, err := dialer.DialContext(s.ctx, "tcp", rule.To.String())
			if err != nil {
				if s.routes.directFailed(int32(rule.To.Port())) {
					s.log.Info("the pod IP does not answer on this port; using the runtime tunnel, which reaches ports bound to the pod's localhost", "local", rule.From, "target", rule.To, "err", err)
				}
				return
			}
			_ = conn.Close()
			s.routes.directSucceeded(int32(rule.To.Port()))
			answers[i] = true
		}()
	}
	wg.Wait()
	return answers
}
