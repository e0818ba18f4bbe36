package nodeserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// reviewer allows the users in allowed and counts the reviews.
type reviewer struct {
	mu      sync.Mutex
	allowed map[string]bool
	fail    error
	asked   []authorizationv1.SubjectAccessReviewSpec
}

func (r *reviewer) Create(_ context.Context, review *authorizationv1.SubjectAccessReview) (*authorizationv1.SubjectAccessReview, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, review.Spec)
	if r.fail != nil {
		return nil, r.fail
	}
	out := review.DeepCopy()
	out.Status.Allowed = r.allowed[review.Spec.User]
	if !out.Status.Allowed {
		out.Status.Reason = "no RBAC policy matched"
	}
	return out, nil
}

func (r *reviewer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.asked)
}

type fixture struct {
	ca, other *testCA
	reviews   *reviewer
	server    *httptest.Server
	now       time.Time
	mu        sync.Mutex
}

func newFixture(t *testing.T, size int) *fixture {
	f := &fixture{ca: newTestCA(t, "cluster-ca"), other: newTestCA(t, "other-ca"),
		reviews: &reviewer{allowed: map[string]bool{"apiserver": true, "a": true, "b": true, "c": true}}, now: time.Now()}
	logs := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "log of "+r.PathValue("pod"))
	})
	h, err := New(Config{
		NodeName: "node-1", ClientCAs: f.ca.pool(), Reviews: f.reviews, CacheSize: size, CacheTTL: time.Minute,
		Routes: map[string]http.Handler{"GET /containerLogs/{namespace}/{pod}/{container}": logs},
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.now
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.server = httptest.NewUnstartedServer(h)
	f.server.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	f.server.StartTLS()
	t.Cleanup(f.server.Close)
	return f
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// get fetches path with cert (none when nil) and returns status and body.
func (f *fixture) get(t *testing.T, cert *tls.Certificate, path string) (int, string) {
	t.Helper()
	transport := f.server.Client().Transport.(*http.Transport).Clone()
	if cert != nil {
		transport.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport, Timeout: 10 * time.Second}).Get(f.server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

const logPath = "/containerLogs/default/web/kubia"

func TestEndpointAuthenticatesThenAuthorizes(t *testing.T) {
	f := newFixture(t, 16)
	later := time.Now().Add(time.Hour)
	apiserver := f.ca.issue(t, "apiserver", []string{"system:masters"}, x509.ExtKeyUsageClientAuth, later)
	if code, body := f.get(t, &apiserver, logPath); code != 200 || body != "log of web" {
		t.Errorf("cluster CA's allowed user: %d %q", code, body)
	}
	asked := f.reviews.asked[0]
	if asked.User != "apiserver" || asked.Groups[0] != "system:masters" || asked.ResourceAttributes.Subresource != "proxy" || asked.ResourceAttributes.Name != "node-1" {
		t.Errorf("review asked %+v %+v", asked, asked.ResourceAttributes)
	}

	if code, body := f.get(t, nil, logPath); code != 401 || !strings.Contains(body, "no client certificate") {
		t.Errorf("without a certificate: %d %q", code, body)
	}
	stranger := f.other.issue(t, "apiserver", nil, x509.ExtKeyUsageClientAuth, later)
	if code, body := f.get(t, &stranger, logPath); code != 401 || !strings.Contains(body, `issuer "other-ca"`) {
		t.Errorf("another CA's certificate: %d %q", code, body)
	}
	if n := f.reviews.count(); n != 1 {
		t.Errorf("unauthenticated requests were reviewed: %d reviews", n)
	}

	nobody := f.ca.issue(t, "nobody", nil, x509.ExtKeyUsageClientAuth, later)
	code, body := f.get(t, &nobody, logPath)
	if code != 403 || !strings.Contains(body, "Forbidden (user=nobody, verb=get resource=nodes subresource=proxy name=node-1)") || strings.Contains(body, "RBAC") {
		t.Errorf("a user without rights: %d %q", code, body)
	}
}

func TestEndpointCachesAllowedAnswersBriefly(t *testing.T) {
	f := newFixture(t, 2)
	later := time.Now().Add(time.Hour)
	cert := func(cn string) *tls.Certificate {
		c := f.ca.issue(t, cn, nil, x509.ExtKeyUsageClientAuth, later)
		return &c
	}
	a, nobody := cert("a"), cert("nobody")
	f.get(t, a, logPath)
	f.get(t, a, logPath)
	if n := f.reviews.count(); n != 1 {
		t.Errorf("an allowed answer was not reused: %d reviews", n)
	}
	f.advance(2 * time.Minute)
	f.get(t, a, logPath)
	if n := f.reviews.count(); n != 2 {
		t.Errorf("an expired answer was reused: %d reviews", n)
	}
	f.get(t, nobody, logPath)
	f.get(t, nobody, logPath)
	if n := f.reviews.count(); n != 4 {
		t.Errorf("a denial was cached: %d reviews", n)
	}
	f.get(t, cert("b"), logPath)
	f.get(t, cert("c"), logPath)
	g := f.server.Config.Handler.(*guard)
	g.authz.mu.Lock()
	size := len(g.authz.allowed)
	g.authz.mu.Unlock()
	if size > 2 {
		t.Errorf("cache holds %d answers, over its size 2", size)
	}
}

func TestEndpointReviewErrorIsNotAnAnswer(t *testing.T) {
	f := newFixture(t, 16)
	f.reviews.fail = errors.New("connection refused")
	cert := f.ca.issue(t, "a", nil, x509.ExtKeyUsageClientAuth, time.Now().Add(time.Hour))
	if code, body := f.get(t, &cert, logPath); code != 500 || strings.Contains(body, "connection refused") || !strings.Contains(body, "user=a") {
		t.Errorf("review failing: %d %q", code, body)
	}
	f.reviews.fail = nil
	if code, _ := f.get(t, &cert, logPath); code != 200 {
		t.Errorf("after the API server is back: %d", code)
	}
}

func TestLocalPathResolvesOnlyThePod(t *testing.T) {
	resolve := func(namespace, name string) (string, error) {
		switch {
		case namespace == "default" && name == "web-node-1":
			return "web", nil
		case name == "gone":
			return "", errors.New("pod default/gone is not running on node node-1")
		}
		return name, nil
	}
	for in, want := range map[string]string{
		"/containerLogs/default/web-node-1/kubia":   "/containerLogs/default/web/kubia",
		"/exec/default/web-node-1/kubia":            "/exec/default/web/kubia",
		"/portForward/default/web-node-1":           "/portForward/default/web",
		"/portForward/default/web-node-1/uid-1":     "/portForward/default/web/uid-1",
		"/portForward/kube-system/web-node-1":       "/portForward/kube-system/web-node-1",
		"/containerLogs/default/other/kubia":        "/containerLogs/default/other/kubia",
		"/containerLogs/default":                    "/containerLogs/default",
		"/containerLogs//web-node-1/kubia":          "/containerLogs//web-node-1/kubia",
		"/exec/default/web-node-1/kubia/extra/more": "/exec/default/web/kubia/extra/more",
	} {
		if got, err := localPath(in, resolve); got != want || err != nil {
			t.Errorf("localPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := localPath("/exec/default/gone/kubia", resolve); err == nil {
		t.Errorf("a pod the node does not serve resolved to %q", got)
	}
}
