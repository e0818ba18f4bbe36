package framework

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// Do runs fn on an OS thread switched into the namespace and returns its
// error. Sockets fn creates belong to the namespace for their whole life,
// and processes it starts (CNI plugins) start inside it.
func (ns *Netns) Do(fn func() error) error {
	result := make(chan error, 1)
	go func() {
		// Never unlocked: the thread is left in the namespace, so it must
		// exit with this goroutine rather than serve others.
		runtime.LockOSThread()
		handle, err := netns.GetFromPath(ns.Path())
		if err != nil {
			result <- fmt.Errorf("opening netns %s: %w", ns.Name, err)
			return
		}
		defer handle.Close()
		if err := netns.Set(handle); err != nil {
			result <- fmt.Errorf("entering netns %s: %w", ns.Name, err)
			return
		}
		result <- fn()
	}()
	return <-result
}

// DialTCP connects to address from inside the namespace.
func (ns *Netns) DialTCP(ctx context.Context, address string) (net.Conn, error) {
	var conn net.Conn
	err := ns.Do(func() error {
		var dialer net.Dialer
		var err error
		conn, err = dialer.DialContext(ctx, "tcp", address)
		return err
	})
	return conn, err
}

// ForwardLoopback picks a free host loopback address, 127.0.0.1:PORT, and
// until the test ends connects every client of it to the same address
// inside the namespace, which has its own loopback and ports. A server in
// the namespace can so stay on loopback (as the agent API must without
// TLS) and still answer the test; nothing else of the namespace is exposed.
func (ns *Netns) ForwardLoopback(t testing.TB) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ns.startForwarder(t, listener, listener.Addr().String())
	return listener.Addr().String()
}

// Relay listens inside the namespace on listen (host:port, port 0 for a
// free one) and, until the test ends, connects every client to target
// inside the namespace, as a proxy in front of a server there would. It
// returns the address it listens on.
func (ns *Netns) Relay(t testing.TB, listen, target string) string {
	t.Helper()
	var listener net.Listener
	if err := ns.Do(func() error {
		var err error
		listener, err = net.Listen("tcp", listen)
		return err
	}); err != nil {
		t.Fatalf("listening on %s in netns %s: %v", listen, ns.Name, err)
	}
	ns.startForwarder(t, listener, target)
	return listener.Addr().String()
}

// ForwardToHost listens on address (host:port) inside the namespace and,
// until the test ends, connects every client to the same address on the
// host: a node in the namespace so reaches a server on the host's
// loopback (the test bed's kube-apiserver) at the address its
// certificate names, and nothing else of the host.
func (ns *Netns) ForwardToHost(t testing.TB, address string) {
	t.Helper()
	ns.ForwardToHostAt(t, address, address)
}

// ForwardToHostAt listens on listen inside the namespace and connects
// every client to target on the host's loopback, for a port the node
// needs free for itself (the suite's fake registry takes the node's
// localhost:5000, where the test bed's registry is on the host).
func (ns *Netns) ForwardToHostAt(t testing.TB, listen, target string) {
	t.Helper()
	var listener net.Listener
	if err := ns.Do(func() error {
		var err error
		listener, err = net.Listen("tcp", listen)
		return err
	}); err != nil {
		t.Fatalf("listening on %s in netns %s: %v", listen, ns.Name, err)
	}
	var dialer net.Dialer
	ns.startForwarderWith(t, listener, target, func(ctx context.Context, target string) (net.Conn, error) {
		return dialer.DialContext(ctx, "tcp", target) // from the host: this goroutine's thread is not in ns
	})
}

// startForwarder connects every client of listener to target inside the
// namespace until the test ends.
func (ns *Netns) startForwarder(t testing.TB, listener net.Listener, target string) {
	t.Helper()
	ns.startForwarderWith(t, listener, target, ns.DialTCP)
}

// startForwarderWith connects every client of listener to target through
// dial until the test ends.
func (ns *Netns) startForwarderWith(t testing.TB, listener net.Listener, target string, dial func(context.Context, string) (net.Conn, error)) {
	t.Helper()
	f := &forwarder{ns: ns, listener: listener, target: target, dial: dial, conns: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.serve()
	Cleanup(t, "stop forwarding "+listener.Addr().String()+" to "+target+" in "+ns.Name, func(context.Context) error {
		f.close()
		return nil
	})
}

type forwarder struct {
	ns       *Netns
	listener net.Listener
	target   string
	dial     func(context.Context, string) (net.Conn, error)
	wg       sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]bool
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		client, err := f.listener.Accept()
		if err != nil {
			return // closed
		}
		f.wg.Add(1)
		go f.relay(client)
	}
}

// relay connects one client through; a refused dial closes the client, as
// a server that is not up yet would.
func (f *forwarder) relay(client net.Conn) {
	defer f.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	server, err := f.dial(ctx, f.target)
	cancel()
	if err != nil {
		client.Close()
		return
	}
	if !f.track(client, server) {
		return
	}
	defer f.untrack(client, server)
	copied := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		if _, err := io.Copy(dst, src); err != nil {
			// A reset on one side ends both directions.
			client.Close()
			server.Close()
		} else {
			_ = dst.(*net.TCPConn).CloseWrite() // pass the EOF on
		}
		copied <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-copied
	<-copied
}

func (f *forwarder) track(conns ...net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		f.conns[c] = true
	}
	return true
}

func (f *forwarder) untrack(conns ...net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(f.conns, c)
	}
}

// close stops accepting, cuts every relayed connection and waits for the
// relays to end, so no goroutine or socket outlives the test.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	f.listener.Close()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
