package portforward

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// unixScheme marks a --server that is the agent's unix socket.
const unixScheme = "unix://"

// agentClient reaches the agent's API the way every request of a session
// needs: over TCP or the agent's unix socket, with TLS when the URL is
// https, and with the bearer token when the agent requires one.
type agentClient struct {
	// base is the URL requests are built on; for a unix socket its host
	// is "localhost" and the transport dials the socket.
	base      *url.URL
	transport *http.Transport
	token     string
	// display names the agent in messages as the user gave it.
	display string
	// unixSocket is set when the agent is reached at a unix socket.
	unixSocket bool
}

// newAgentClient parses --server: "http(s)://host:port", a bare
// "host:port" (http), or "unix:///path".
func newAgentClient(server, token string, tlsConfig *tls.Config) (*agentClient, error) {
	if server == "" {
		return nil, errors.New("--server is empty: give the agent's API URL, e.g. http://127.0.0.1:10350")
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	client := &agentClient{transport: transport, token: token, display: server}
	if path, ok := strings.CutPrefix(server, unixScheme); ok {
		if path == "" {
			return nil, fmt.Errorf("--server %q names no socket path: write unix:///path/to/socket", server)
		}
		dialer := &net.Dialer{Timeout: 10 * time.Second}
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", path)
		}
		transport.Proxy = nil
		client.base = &url.URL{Scheme: "http", Host: "localhost"}
		client.unixSocket = true
		return client, nil
	}
	if !strings.Contains(server, "://") {
		server = "http://" + server
	}
	base, err := url.Parse(server)
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("--server %q is not an http(s) URL like http://127.0.0.1:10350 or a unix:///path socket", client.display)
	}
	// The SPDY dialer takes its dial function from the transport; give it
	// one so both paths dial alike.
	transport.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	client.base = base
	return client, nil
}

// url joins path segments onto the agent's base URL.
func (c *agentClient) url(segments ...string) string {
	return c.base.JoinPath(segments...).String()
}

// authorize adds the bearer token, if any.
func (c *agentClient) authorize(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

// get performs a GET with a deadline of its own.
func (c *agentClient) get(ctx context.Context, segments ...string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(segments...), nil)
	if err != nil {
		cancel()
		return nil, err
	}
	c.authorize(req)
	resp, err := c.transport.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// close drops idle connections to the agent.
func (c *agentClient) close() { c.transport.CloseIdleConnections() }

// cancelOnClose ends a request's context once its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
