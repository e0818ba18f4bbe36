package prober

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

	v1 "k8s.io/api/core/v1"
)

// userAgent is what probes and hooks send unless the manifest sets one;
// apps that filter the kubelet's probes out of their logs match its
// "kube-probe/" prefix.
const userAgent = "kube-probe/1.37 (minikubelet)"

// maxRedirects bounds the redirects an HTTP probe follows on the same host.
const maxRedirects = 10

// newHTTPClient returns the client every probe and hook shares. It keeps
// no idle connections, so probing many pods holds no sockets between
// runs, ignores proxy settings (the pod network is local), and does not
// verify certificates, as the kubelet does not for HTTPS probes.
func newHTTPClient() *http.Client {
	transport := &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{}).DialContext,
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the kubelet's probes do not verify either
	}
	return &http.Client{Transport: transport, CheckRedirect: checkRedirect}
}

// checkRedirect follows redirects on the probed host only; a redirect to
// another host ends the probe with the redirect response, which counts as
// success (3xx), as under the kubelet.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Hostname() != via[0].URL.Hostname() {
		return http.ErrUseLastResponse
	}
	return nil
}

// newGetRequest builds the GET of an httpGet probe or hook. field names
// the manifest field for errors, e.g. "livenessProbe.httpGet".
func newGetRequest(ctx context.Context, field string, action *v1.HTTPGetAction, t target) (*http.Request, error) {
	port, err := resolvePort(field+".port", action.Port, t.container)
	if err != nil {
		return nil, err
	}
	address, err := t.address(action.Host, port)
	if err != nil {
		return nil, err
	}
	path := action.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("%s.path %q is not a valid URL path: %w", field, action.Path, err)
	}
	u.Scheme = strings.ToLower(string(action.Scheme))
	if u.Scheme == "" {
		u.Scheme = "http"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s.scheme %q: use HTTP or HTTPS", field, action.Scheme)
	}
	u.Host = address
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: building the request: %w", field, err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	// Headers from the manifest replace the defaults of the same name.
	custom := http.Header{}
	for _, h := range action.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		custom.Add(h.Name, h.Value)
	}
	for name, values := range custom {
		req.Header[name] = values
	}
	return req, nil
}

// response is what an HTTP probe or hook got back.
type response struct {
	status int
	body   string
}

// get sends req and reads at most maxOutput bytes of the answer.
func get(client *http.Client, req *http.Request) (response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	if err != nil {
		return response{}, fmt.Errorf("reading the answer of GET %s: %w", req.URL, err)
	}
	return response{status: resp.StatusCode, body: strings.TrimSpace(string(body))}, nil
}

// probeHTTP runs an httpGet probe: 2xx and 3xx succeed, any other status,
// a refused connection or a time out fails, and a probe that cannot be
// aimed (unknown port name, no pod IP) gives Unknown.
func probeHTTP(ctx context.Context, client *http.Client, field string, action *v1.HTTPGetAction, t target, timeout time.Duration) outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := newGetRequest(ctx, field, action, t)
	if err != nil {
		return outcome{result: Unknown, message: err.Error()}
	}
	resp, err := get(client, req)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return outcome{result: Failure, message: fmt.Sprintf("GET %s: no answer within %s", req.URL, timeout)}
	case err != nil:
		return outcome{result: Failure, message: err.Error()}
	case resp.status >= 300 && resp.status < 400:
		// Only a redirect off the host ends here (checkRedirect): it
		// passes, with the kubelet's warning, as the target was not probed.
		return outcome{result: Success, warning: true, message: "Probe terminated redirects, Response body: " + resp.body}
	case resp.status >= 200 && resp.status < 300:
		return outcome{result: Success, message: resp.body}
	default:
		return outcome{result: Failure, message: fmt.Sprintf("HTTP probe failed with statuscode: %d (GET %s answered %q)", resp.status, req.URL, shorten(resp.body))}
	}
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// shorten keeps messages about a response on one readable line.
func shorten(s string) string {
	const limit = 200
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
