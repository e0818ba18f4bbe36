package portforward

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestPipeConnsKeepsHalfClose checks the direct path with a protocol that
// half-closes: the client sends, shuts its sending side, then reads the
// answer, which must arrive whole.
func TestPipeConnsKeepsHalfClose(t *testing.T) {
	user, localEnd := tcpPair(t)
	podEnd, app := tcpPair(t)
	done := make(chan error, 1)
	go func() { done <- pipeConns(localEnd, podEnd) }()

	go func() {
		request, _ := io.ReadAll(app) // until the user's half-close
		_, _ = app.Write([]byte("answer to " + string(request)))
		_ = app.Close()
	}()
	if _, err := user.Write([]byte("question")); err != nil {
		t.Fatal(err)
	}
	_ = user.CloseWrite()
	_ = user.SetReadDeadline(time.Now().Add(5 * time.Second))
	answer, err := io.ReadAll(user)
	if err != nil || string(answer) != "answer to question" {
		t.Fatalf("answer %q, %v", answer, err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("pipeConns = %v after a clean exchange", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pipeConns did not return after both sides finished")
	}
}

func TestUDPRelayDropsIdleMappings(t *testing.T) {
	echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(buf[:n], from)
		}
	}()
	local, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	target := echo.LocalAddr().(*net.UDPAddr).AddrPort()
	relay := &udpRelay{local: local, idle: 100 * time.Millisecond, flows: map[netip.AddrPort]*udpFlow{}, log: slog.New(slog.DiscardHandler),
		target: func() (netip.AddrPort, bool) { return target, true }}
	served := make(chan struct{})
	go func() { relay.serve(); close(served) }()

	client, err := net.Dial("udp", local.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ask := func(msg string) {
		t.Helper()
		_ = client.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := client.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		if n, err := client.Read(buf); err != nil || string(buf[:n]) != msg {
			t.Fatalf("echo of %q: %q, %v", msg, buf[:n], err)
		}
	}
	ask("first")
	waitFor(t, "the idle mapping to be dropped", func() bool {
		relay.mu.Lock()
		defer relay.mu.Unlock()
		return len(relay.flows) == 0
	})
	ask("after idle") // a new mapping for the same client
	local.Close()
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("the relay did not stop when its socket closed")
	}
}

// TestSessionLeavesNoGoroutines runs a session with direct and tunneled
// connections still open and checks that ending it releases everything.
func TestSessionLeavesNoGoroutines(t *testing.T) {
	direct := echoServer(t, "direct")
	directPort, tunnelOnly := portOf(t, direct), freePort(t)
	agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{tunnelOnly: echoServer(t, "tunnel")})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	session, err := Start(ctx, Options{Server: agent.url, Pod: "web", Addresses: []string{"127.0.0.1"},
		Ports: []string{portSpec(directPort), portSpec(tunnelOnly)}, PodCheckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, port := range []int32{directPort, tunnelOnly} {
		for range 3 {
			roundTrip(t, dialLocal(t, session, port), "x")
		}
	}
	cancel()
	if err := waitSession(t, session); err != nil {
		t.Fatal(err)
	}
	var stacks string
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		t.Fatalf("%d goroutines after the session, %d before:\n%s", n, before, onlyOurs(stacks))
	}
}

func portSpec(port int32) string { return ":" + strconv.Itoa(int(port)) }

// onlyOurs keeps the goroutine dumps that mention this package.
func onlyOurs(stacks string) string {
	var kept []string
	for _, g := range strings.Split(stacks, "\n\n") {
		if strings.Contains(g, "portforward") {
			kept = append(kept, g)
		}
	}
	return strings.Join(kept, "\n\n")
}
