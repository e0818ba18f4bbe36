package portforward

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// startThrough starts a tunnel-only session to a fake agent with opts'
// connection settings and checks one round trip through it.
func startThrough(t *testing.T, agent *fakeAgent, opts Options) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts.Server, opts.Pod, opts.Addresses, opts.Ports, opts.Direct = agent.url, "web", []string{"127.0.0.1"}, []string{":8080"}, DirectNever
	session, err := Start(ctx, opts)
	if err != nil {
		return err
	}
	if got := roundTrip(t, dialLocal(t, session, 8080), "hi"); got != "app:hi" {
		t.Fatalf("through the tunnel: %q", got)
	}
	cancel()
	return waitSession(t, session)
}

func TestSessionSendsTheBearerToken(t *testing.T) {
	const token = "s3cret"
	agent := newFakeAgentServed(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "app")}, func(h http.Handler) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	})
	if err := startThrough(t, agent, Options{}); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Fatalf("without a token: %v; want an error pointing at --token", err)
	}
	if err := startThrough(t, agent, Options{Token: token}); err != nil {
		t.Fatal(err)
	}
}

func TestSessionOverHTTPS(t *testing.T) {
	var cert *x509.Certificate
	agent := newFakeAgentServed(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "app")}, func(h http.Handler) string {
		srv := httptest.NewTLSServer(h)
		t.Cleanup(srv.Close)
		cert = srv.Certificate()
		return srv.URL
	})
	if err := startThrough(t, agent, Options{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("with an unknown CA: %v; want a certificate error", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	if err := startThrough(t, agent, Options{TLSConfig: &tls.Config{RootCAs: roots}}); err != nil {
		t.Fatal(err)
	}
}

func TestSessionOverAUnixSocket(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "agent.sock")
	agent := newFakeAgentServed(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "app")}, func(h http.Handler) string {
		l, err := net.Listen("unix", socket)
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { srv.Close() })
		return "unix://" + socket
	})
	if err := startThrough(t, agent, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestNewAgentClientRejectsBadServers(t *testing.T) {
	for _, server := range []string{"", "unix://", "ftp://host", "http://"} {
		if _, err := newAgentClient(server, "", nil); err == nil || !strings.Contains(err.Error(), "--server") {
			t.Errorf("newAgentClient(%q) = %v; want an error about --server", server, err)
		}
	}
}
