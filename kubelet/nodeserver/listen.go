package nodeserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/net/netutil"
)

// Listen opens the endpoint's TLS listener on address with the serving
// certificate, with at most maxConns connections open at once (the
// endpoint faces the network: clients that never authenticate must not
// hold sockets without bound). It asks for a client certificate but lets
// the handshake through without one, or with one of another CA, so the
// refusal is an HTTP 401 that says why (as the kubelet answers), not a
// TLS alert.
func Listen(address, certFile, keyFile string, maxConns int) (net.Listener, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading the node endpoint's serving certificate %s and key %s: %w", certFile, keyFile, err)
	}
	// HTTP/1.1 only: the SPDY upgrades of exec and port-forward do not
	// exist in HTTP/2.
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert,
		MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listening on %s for the node endpoint: %w (another kubelet? set --kubelet-port)", address, err)
	}
	// The cap goes under TLS: net/http finds a client's certificate only
	// on a *tls.Conn, so the TLS listener must be the outer one.
	return tls.NewListener(netutil.LimitListener(l, maxConns), cfg), nil
}

// LoadCAs reads a PEM bundle of CA certificates; what names where it came
// from, for the error.
func LoadCAs(pem []byte, what string) (*x509.CertPool, error) {
	if len(pem) == 0 {
		return nil, errors.New(what + " holds no certificate")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", what)
	}
	return pool, nil
}

// ReadCAFile is LoadCAs of a file.
func ReadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the client CA: %w", err)
	}
	return LoadCAs(data, "client CA "+path)
}
