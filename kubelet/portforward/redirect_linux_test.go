package portforward

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
)

func TestWireValuesAreNetworkOrderInMemory(t *testing.T) {
	ip := wireIP4(netip.MustParseAddr("127.0.0.1"))
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], uint32(ip))
	if b != [4]byte{127, 0, 0, 1} {
		t.Fatalf("wireIP4(127.0.0.1) lays out as %v in memory, want 127 0 0 1", b)
	}
	port := wirePort(8080)
	var p [2]byte
	binary.NativeEndian.PutUint16(p[:], uint16(port))
	if p != [2]byte{0x1f, 0x90} {
		t.Fatalf("wirePort(8080) lays out as %x in memory, want 1f90", p)
	}
}

// TestKernelRedirectSendsLoopbackConnectionsToTheTarget loads the real
// program (root only): a connection to one loopback listener must reach
// another while the redirect is set, and the first again once it is gone.
func TestKernelRedirectSendsLoopbackConnectionsToTheTarget(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading eBPF programs needs root")
	}
	redirect, err := newKernelRedirect()
	if err != nil {
		t.Skipf("no kernel redirect on this machine: %v", err)
	}
	defer redirect.close()
	asked, target := echoServer(t, "asked"), echoServer(t, "target")
	rule := redirectRule{From: netip.MustParseAddrPort(asked), To: netip.MustParseAddrPort(target)}
	if err := redirect.set([]redirectRule{rule}); err != nil {
		if errors.Is(err, os.ErrPermission) {
			t.Skipf("not permitted here: %v", err)
		}
		t.Fatal(err)
	}
	answer := func() string {
		conn, err := net.Dial("tcp", asked)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return roundTrip(t, conn, "x")
	}
	if got := answer(); got != "target:x" {
		t.Fatalf("with the redirect set, a connection to %s answered %q, want target:x", asked, got)
	}
	other := echoServer(t, "other")
	if got := func() string {
		conn, err := net.Dial("tcp", other)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return roundTrip(t, conn, "y")
	}(); got != "other:y" {
		t.Fatalf("a port without a rule was redirected: %q", got)
	}
	if err := redirect.set(nil); err != nil {
		t.Fatal(err)
	}
	if got := answer(); got != "asked:x" {
		t.Fatalf("after removing the redirect, %s answered %q, want asked:x", asked, got)
	}
}

// TestSessionRedirectsPortsThePodIPServes checks a session with
// KernelRedirect (root only): the port the pod IP answers on is connected
// straight to it, the one it refuses still reaches the pod through the
// tunnel.
func TestSessionRedirectsPortsThePodIPServes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loading eBPF programs needs root")
	}
	if _, err := newKernelRedirect(); err != nil {
		t.Skipf("no kernel redirect on this machine: %v", err)
	}
	direct := echoServer(t, "direct")
	directPort, localOnly := portOf(t, direct), freePort(t)
	agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{localOnly: echoServer(t, "tunnel")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	session, err := Start(ctx, Options{Server: agent.url, Pod: "web", Addresses: []string{"127.0.0.1"}, KernelRedirect: true,
		Ports: []string{portSpec(directPort), portSpec(localOnly)}})
	if err != nil {
		t.Fatal(err)
	}
	redirected := dialLocal(t, session, directPort)
	if got := redirected.RemoteAddr().String(); got != direct {
		t.Fatalf("connection to the forwarded port is connected to %s, want %s (the pod IP, redirected in the kernel)", got, direct)
	}
	if got := roundTrip(t, redirected, "a"); got != "direct:a" {
		t.Fatalf("redirected connection answered %q", got)
	}
	if got := roundTrip(t, dialLocal(t, session, localOnly), "b"); got != "tunnel:b" {
		t.Fatalf("port the pod IP refuses answered %q, want tunnel:b", got)
	}
	cancel()
	if err := waitSession(t, session); err != nil {
		t.Fatal(err)
	}
	// With the session gone, nothing redirects: the port is closed.
	if conn, err := net.Dial("tcp", session.Ports()[0].Address); err == nil {
		conn.Close()
		t.Fatal("the forwarded port still connects after the session ended")
	}
}
