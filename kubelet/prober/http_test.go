package prober

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// loopbackTarget aims at 127.0.0.1 for a container with the given ports.
func loopbackTarget(ports ...v1.ContainerPort) target {
	c := &v1.Container{Name: "web", Ports: ports}
	return target{pod: testPod("u1", *c), podIP: "127.0.0.1", container: c, containerID: "c1"}
}

func portOf(t *testing.T, rawURL string) int {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestHTTPProbeSendsPathHeadersAndResolvesNamedPort(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Clone(context.Background()) }))
	defer srv.Close()
	tgt := loopbackTarget(v1.ContainerPort{Name: "http", ContainerPort: int32(portOf(t, srv.URL))})
	action := &v1.HTTPGetAction{
		Path: "healthz?verbose=1", Port: intstr.FromString("http"),
		HTTPHeaders: []v1.HTTPHeader{{Name: "X-Probe", Value: "yes"}, {Name: "Host", Value: "app.example"}},
	}
	out := probeHTTP(context.Background(), newHTTPClient(), "livenessProbe.httpGet", action, tgt, time.Second)
	if out.result != Success {
		t.Fatalf("probe = %+v, want success", out)
	}
	switch {
	case got.URL.Path != "/healthz" || got.URL.RawQuery != "verbose=1":
		t.Errorf("request URL %s, want /healthz?verbose=1", got.URL)
	case got.Header.Get("X-Probe") != "yes" || got.Host != "app.example":
		t.Errorf("headers %v host %q, want X-Probe: yes and Host app.example", got.Header, got.Host)
	case !strings.HasPrefix(got.Header.Get("User-Agent"), "kube-probe/") || got.Header.Get("Accept") != "*/*":
		t.Errorf("User-Agent %q Accept %q, want the kubelet's kube-probe/… and */*", got.Header.Get("User-Agent"), got.Header.Get("Accept"))
	}
}

func TestHTTPProbeHeaderReplacesDefault(t *testing.T) {
	var agent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { agent = r.Header.Values("User-Agent") }))
	defer srv.Close()
	action := &v1.HTTPGetAction{Port: intstr.FromInt(portOf(t, srv.URL)), HTTPHeaders: []v1.HTTPHeader{{Name: "user-agent", Value: "mine"}}}
	probeHTTP(context.Background(), newHTTPClient(), "f", action, loopbackTarget(), time.Second)
	if len(agent) != 1 || agent[0] != "mine" {
		t.Fatalf("User-Agent values %q, want just the manifest's", agent)
	}
}

func TestHTTPProbeStatusCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bad":
			http.Error(w, "database unreachable", http.StatusInternalServerError)
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/elsewhere":
			http.Redirect(w, r, "http://127.0.0.2:1/", http.StatusFound) // nothing listens there
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/notfound":
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	port := intstr.FromInt(portOf(t, srv.URL))
	cases := []struct {
		path    string
		want    Result
		message string
	}{
		{"/ok", Success, ""},
		{"/moved", Success, ""},
		{"/elsewhere", Success, `Probe terminated redirects, Response body: <a href="http://127.0.0.2:1/">Found</a>.`}, // a redirect off the host ends the probe, as a 3xx
		{"/bad", Failure, `HTTP probe failed with statuscode: 500 (GET http://127.0.0.1:` + port.String() + `/bad answered "database unreachable")`},
		{"/notfound", Failure, "statuscode: 404"},
		{"/loop", Failure, "stopped after 10 redirects"},
	}
	for _, tc := range cases {
		out := probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Path: tc.path, Port: port}, loopbackTarget(), time.Second)
		if out.result != tc.want || !strings.Contains(out.message, tc.message) {
			t.Errorf("GET %s: %+v, want %s with %q", tc.path, out, tc.want, tc.message)
		}
	}
}

func TestHTTPProbeFailsOnRefusedAndSlowServers(t *testing.T) {
	closed := freePort(t)
	out := probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Port: intstr.FromInt(closed)}, loopbackTarget(), time.Second)
	if out.result != Failure || !strings.Contains(out.message, "connection refused") {
		t.Fatalf("refused port: %+v", out)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	began := time.Now()
	out = probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Port: intstr.FromInt(portOf(t, slow.URL))}, loopbackTarget(), 300*time.Millisecond)
	if out.result != Failure || !strings.Contains(out.message, "no answer within 300ms") {
		t.Fatalf("slow server: %+v", out)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("a 300ms timeout took %s", took)
	}
}

func TestHTTPSProbeSkipsCertificateVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	action := &v1.HTTPGetAction{Scheme: v1.URISchemeHTTPS, Port: intstr.FromInt(portOf(t, srv.URL))}
	if out := probeHTTP(context.Background(), newHTTPClient(), "f", action, loopbackTarget(), time.Second); out.result != Success {
		t.Fatalf("HTTPS probe of a self-signed server: %+v", out)
	}
}

func TestHTTPProbeTargets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	port := intstr.FromInt(portOf(t, srv.URL))

	hostNet := loopbackTarget()
	hostNet.podIP = ""
	hostNet.pod.Spec.HostNetwork = true
	if out := probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Port: port}, hostNet, time.Second); out.result != Success {
		t.Fatalf("hostNetwork pod without a pod IP must be probed on the node: %+v", out)
	}

	noIP := loopbackTarget()
	noIP.podIP = ""
	if out := probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Port: port}, noIP, time.Second); out.result != Unknown || out.message != errNoPodIP.Error() {
		t.Fatalf("pod without an IP: %+v, want unknown", out)
	}

	explicit := loopbackTarget()
	explicit.podIP = "192.0.2.1" // TEST-NET: the explicit host must win
	if out := probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Host: "127.0.0.1", Port: port}, explicit, time.Second); out.result != Success {
		t.Fatalf("httpGet.host: %+v", out)
	}

	bad := []struct {
		action *v1.HTTPGetAction
		want   string
	}{
		{&v1.HTTPGetAction{Port: intstr.FromString("admin")}, `f.port: container web has no port named "admin": add it under ports`},
		{&v1.HTTPGetAction{Port: intstr.FromInt(70000)}, "f.port: port 70000 is out of range"},
		{&v1.HTTPGetAction{Port: port, Scheme: "FTP"}, `f.scheme "FTP": use HTTP or HTTPS`},
	}
	for _, tc := range bad {
		out := probeHTTP(context.Background(), newHTTPClient(), "f", tc.action, loopbackTarget(), time.Second)
		if out.result != Unknown || !strings.HasPrefix(out.message, tc.want) {
			t.Errorf("%+v: %+v, want unknown %q", tc.action, out, tc.want)
		}
	}
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestHTTPProbeRedirectedOffHostWarns: a probe redirected to another host
// passes, and the pod gets the kubelet's ProbeWarning event with the
// redirect's body, which users (and the upstream suite) look for.
func TestHTTPProbeRedirectedOffHostWarns(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://0.0.0.0/", http.StatusFound)
	}))
	defer srv.Close()
	m, rec, _ := testManager(t, newFakeRuntime())
	spec := &v1.Container{Name: "web"}
	w := &worker{m: m, c: &containerProbes{uid: "u1", spec: spec}, kind: Liveness}
	out := probeHTTP(context.Background(), newHTTPClient(), "f", &v1.HTTPGetAction{Path: "/redirect", Port: intstr.FromInt(portOf(t, srv.URL))}, loopbackTarget(), time.Second)
	if out.result != Success {
		t.Fatalf("redirected probe: %+v, want success", out)
	}
	w.report(out)
	want := `ProbeWarning web: Liveness probe warning: Probe terminated redirects, Response body: <a href="http://0.0.0.0/">Found</a>.`
	if got := rec.eventMessages(); len(got) != 1 || got[0] != want {
		t.Fatalf("events = %q, want [%q]", got, want)
	}
}
