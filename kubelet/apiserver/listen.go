package apiserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// unixPrefix marks a --listen address as a unix socket path.
const unixPrefix = "unix://"

// ListenConfig says where and how the node API listens, as the operator
// configured it.
type ListenConfig struct {
	// Address is "host:port" for TCP or "unix:///path" for a unix socket.
	Address string
	// TLSCertFile and TLSKeyFile, both or neither, are the operator's
	// serving certificate; without them the agent generates its own.
	TLSCertFile, TLSKeyFile string
}

// Check refuses an address other machines can reach unless the operator
// gave a serving certificate that clients there can verify: the generated
// one names only this machine's loopback addresses. The error names the
// flags to add, or the loopback address to use.
func (c ListenConfig) Check() error {
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("--tls-cert-file and --tls-private-key-file go together: give both, or neither")
	}
	if strings.HasPrefix(c.Address, unixPrefix) {
		if strings.TrimPrefix(c.Address, unixPrefix) == "" {
			return fmt.Errorf("--listen %q: give the socket's path, e.g. unix:///run/minikubelet.sock", c.Address)
		}
		return nil
	}
	host, _, err := net.SplitHostPort(c.Address)
	if err != nil {
		return fmt.Errorf("--listen %q: %w (use host:port, e.g. 127.0.0.1:10350, or unix:///path/to.sock)", c.Address, err)
	}
	if isLoopback(host) || c.TLSCertFile != "" {
		return nil
	}
	return fmt.Errorf("--listen %s would serve the API to other machines with a certificate they cannot verify: add --tls-cert-file and --tls-private-key-file (a certificate for this machine's names), or listen on 127.0.0.1",
		c.Address)
}

// CertificateIPs are the addresses a generated serving certificate must
// name for clients of this address: loopback always, and the listen
// address itself when it is one IP.
func (c ListenConfig) CertificateIPs() []net.IP {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	host, _, err := net.SplitHostPort(c.Address)
	if ip := net.ParseIP(host); err == nil && ip != nil && !ip.IsUnspecified() && !ip.IsLoopback() {
		ips = append(ips, ip)
	}
	return ips
}

// ClientURL is the URL a client on this machine reaches the API at,
// given the address the listener got: a wildcard address is reached
// through loopback.
func ClientURL(listener net.Addr) string {
	if listener.Network() == "unix" {
		return unixPrefix + listener.String()
	}
	host, port, err := net.SplitHostPort(listener.String())
	if ip := net.ParseIP(host); err == nil && (ip == nil || ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return "https://" + net.JoinHostPort(host, port)
}

// isLoopback reports a host only this machine can reach. An empty host
// or a name other than localhost may resolve to any interface, so it is
// not loopback.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen checks the configuration and opens the listener: TCP with TLS
// from creds, or a unix socket only its owner may use. It returns the URL
// clients on this machine reach it at.
func Listen(c ListenConfig, creds Credentials) (net.Listener, string, error) {
	if err := c.Check(); err != nil {
		return nil, "", err
	}
	if path, ok := strings.CutPrefix(c.Address, unixPrefix); ok {
		return listenUnix(path)
	}
	cert, err := tls.LoadX509KeyPair(creds.CertFile, creds.KeyFile)
	if err != nil {
		return nil, "", fmt.Errorf("loading the API's serving certificate %s and key %s: %w", creds.CertFile, creds.KeyFile, err)
	}
	// HTTP/1.1 only: port-forward's SPDY upgrade does not exist in HTTP/2.
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	l, err := net.Listen("tcp", c.Address)
	if err != nil {
		return nil, "", fmt.Errorf("listening on %s for the node API: %w (is another minikubelet running? set --listen)", c.Address, err)
	}
	return tls.NewListener(l, tlsConfig), ClientURL(l.Addr()), nil
}

// listenUnix opens a unix socket with mode 0600, replacing a stale socket
// a crashed agent left, but never a live one or another kind of file.
func listenUnix(path string) (net.Listener, string, error) {
	if info, err := os.Lstat(path); err == nil {
		if info.Mode()&os.ModeSocket == 0 {
			return nil, "", fmt.Errorf("--listen unix://%s: the path exists and is not a socket; remove it or choose another path", path)
		}
		if conn, err := net.Dial("unix", path); err == nil {
			conn.Close()
			return nil, "", fmt.Errorf("--listen unix://%s: another process serves this socket (is another minikubelet running?)", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, "", fmt.Errorf("removing the stale socket %s: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, "", fmt.Errorf("listening on unix://%s for the node API: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, "", fmt.Errorf("restricting unix://%s to its owner: %w", path, err)
	}
	return l, ClientURL(l.Addr()), nil
}
