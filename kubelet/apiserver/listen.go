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

// ListenConfig says where and how the node API listens.
type ListenConfig struct {
	// Address is "host:port" for TCP or "unix:///path" for a unix socket.
	Address string
	// TLSCertFile and TLSKeyFile, both or neither, serve HTTPS.
	TLSCertFile, TLSKeyFile string
	// TokenFile holds the bearer token every request must carry.
	TokenFile string
}

// Check refuses an address other machines can reach unless it has both
// TLS and a token: logs and port-forward must never be anonymous off-box.
// The error names the flags to add, or the loopback address to use.
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
	if isLoopback(host) {
		return nil
	}
	var missing []string
	if c.TLSCertFile == "" {
		missing = append(missing, "--tls-cert-file and --tls-private-key-file")
	}
	if c.TokenFile == "" {
		missing = append(missing, "--token-file")
	}
	if len(missing) > 0 {
		return fmt.Errorf("--listen %s would expose pod logs and port-forward to other machines without protection: add %s, or listen on 127.0.0.1",
			c.Address, strings.Join(missing, " and "))
	}
	return nil
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

// Listen checks the configuration and opens the listener: TCP, with TLS
// when configured, or a unix socket only its owner may use. It returns the
// URL clients reach it at.
func Listen(c ListenConfig) (net.Listener, string, error) {
	if err := c.Check(); err != nil {
		return nil, "", err
	}
	if path, ok := strings.CutPrefix(c.Address, unixPrefix); ok {
		return listenUnix(path)
	}
	var tlsConfig *tls.Config
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, "", fmt.Errorf("loading --tls-cert-file %s and --tls-private-key-file %s: %w", c.TLSCertFile, c.TLSKeyFile, err)
		}
		// HTTP/1.1 only: port-forward's SPDY upgrade does not exist in HTTP/2.
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	}
	l, err := net.Listen("tcp", c.Address)
	if err != nil {
		return nil, "", fmt.Errorf("listening on %s for the node API: %w (is another minikubelet running? set --listen)", c.Address, err)
	}
	if tlsConfig == nil {
		return l, "http://" + l.Addr().String(), nil
	}
	return tls.NewListener(l, tlsConfig), "https://" + l.Addr().String(), nil
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
	return l, unixPrefix + path, nil
}
