package streamproxy

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// ResolveURL makes the runtime's streaming URL dialable from the agent.
// Runtimes whose streaming server listens on every interface answer
// "http://:PORT/…" or "http://0.0.0.0:PORT/…", and a runtime may answer a
// bare path; base supplies what is missing.
func ResolveURL(raw string, base *url.URL) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("the runtime returned an empty streaming URL")
	}
	if !strings.Contains(raw, "://") && !strings.HasPrefix(raw, "/") {
		raw = base.Scheme + "://" + raw // "127.0.0.1:3456/exec/x"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the runtime returned a malformed streaming URL %q: %w", raw, err)
	}
	if u.Host == "" {
		return base.ResolveReference(u), nil
	}
	if u.Scheme == "" {
		u.Scheme = base.Scheme
	}
	if host := u.Hostname(); host == "" || isUnspecified(host) {
		if port := u.Port(); port != "" {
			u.Host = net.JoinHostPort(base.Hostname(), port)
		} else {
			u.Host = base.Host
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the runtime's streaming URL %q has scheme %q; only http and https can be proxied", raw, u.Scheme)
	}
	return u, nil
}

func isUnspecified(host string) bool {
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsUnspecified()
}

// DefaultBase is where node-local runtimes' streaming servers listen.
func DefaultBase() *url.URL { return &url.URL{Scheme: "http", Host: "127.0.0.1"} }
