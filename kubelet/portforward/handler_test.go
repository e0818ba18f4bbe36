package portforward

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// agentUnderTest is the handler on an HTTP server, with its fakes.
type agentUnderTest struct {
	url     string
	pods    *fakeLocator
	runtime *fakeRuntime
	stream  *fakeStreamingServer
	active  *atomic.Int32 // requests inside the handler
}

func newAgentUnderTest(t *testing.T, targets map[int32]string) *agentUnderTest {
	t.Helper()
	return newAgentWithServer(t, targets, func(*http.Server) {})
}

// newAgentWithServer lets a test configure the agent's http.Server.
func newAgentWithServer(t *testing.T, targets map[int32]string, configure func(*http.Server)) *agentUnderTest {
	t.Helper()
	stream := newFakeStreamingServer(t, targets)
	a := &agentUnderTest{
		pods:    &fakeLocator{sandbox: &Sandbox{ID: "sb-1", PodUID: "uid-1", PodIP: "10.88.0.9", Ports: []v1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
		runtime: &fakeRuntime{url: stream.URL + "/portforward/token"},
		stream:  stream,
		active:  &atomic.Int32{},
	}
	h, err := NewHandler(HandlerConfig{Pods: a.pods, Runtime: a.runtime, PodCheckInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, pattern := range Patterns() {
		mux.Handle(pattern, h)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.active.Add(1)
		defer a.active.Add(-1)
		mux.ServeHTTP(w, r)
	}))
	configure(srv.Config)
	srv.Start()
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func TestHandlerTunnelsToTheRuntimeStreamingServer(t *testing.T) {
	agent := newAgentUnderTest(t, map[int32]string{8080: echoServer(t, "app")})
	for _, path := range []string{"/portForward/default/web", "/portForward/default/web/uid-1", "/api/v1/namespaces/default/pods/web/portforward"} {
		t.Run(path, func(t *testing.T) {
			conn, err := dialTestTunnel(t, agent.url, path)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			pair, err := createStreams(conn, 8080, 1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pair.data.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 64)
			n, err := pair.data.Read(buf)
			if err != nil || string(buf[:n]) != "app:hello" {
				t.Fatalf("through the tunnel: %q, %v; want app:hello", buf[:n], err)
			}
			if req := agent.runtime.lastRequest(); req.GetPodSandboxId() != "sb-1" {
				t.Fatalf("CRI PortForward for sandbox %q, want sb-1", req.GetPodSandboxId())
			}
		})
	}
}

func TestHandlerRefusalsSayWhatIsWrong(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		sandbox   *Sandbox
		runtime   error
		upgrade   bool
		query     string
		status    int
		mentioned string
	}{
		{name: "plain GET", path: "/portForward/default/web", upgrade: false, status: 400, mentioned: "upgrade"},
		{name: "unknown pod", path: "/portForward/default/nope", upgrade: true, status: 404, mentioned: `pod "nope" not found in namespace "default"`},
		{name: "replaced pod", path: "/portForward/default/web/old-uid", upgrade: true, status: 404, mentioned: "now has UID uid-1"},
		{name: "no sandbox yet", path: "/portForward/default/web", sandbox: &Sandbox{PodUID: "uid-1"}, upgrade: true, status: 409, mentioned: "no running sandbox"},
		{name: "sandbox gone from runtime", path: "/portForward/default/web", runtime: status.Error(codes.NotFound, "sandbox sb-1 not found"), upgrade: true, status: 404, mentioned: "gone from the runtime"},
		{name: "runtime fails", path: "/portForward/default/web", runtime: status.Error(codes.Unavailable, "runtime down"), upgrade: true, status: 502, mentioned: "runtime down"},
		{name: "unknown named port", path: "/portForward/default/web", query: "?port=metrics", upgrade: true, status: 400, mentioned: "named ports: http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent := newAgentUnderTest(t, nil)
			if tt.sandbox != nil {
				agent.pods.set(tt.sandbox)
			}
			if strings.Contains(tt.path, "/nope") {
				agent.pods.set(nil)
			}
			agent.runtime.err = tt.runtime
			req, _ := http.NewRequest(http.MethodPost, agent.url+tt.path+tt.query, nil)
			if tt.upgrade {
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "SPDY/3.1")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.mentioned) {
				t.Fatalf("%s %s = %d %q; want %d mentioning %q", req.Method, tt.path, resp.StatusCode, body, tt.status, tt.mentioned)
			}
		})
	}
}

func TestHandlerPassesWebSocketPortsResolved(t *testing.T) {
	agent := newAgentUnderTest(t, nil)
	req, _ := http.NewRequest(http.MethodGet, agent.url+"/portForward/default/web?port=http&port=9090", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := agent.runtime.lastRequest().GetPort()
	if len(got) != 2 || got[0] != 8080 || got[1] != 9090 {
		t.Fatalf("CRI PortForward ports %v, want [8080 9090] (the named port resolved)", got)
	}
}

func TestHandlerCutsTheTunnelWhenThePodGoesAway(t *testing.T) {
	for _, change := range []string{"deleted", "new sandbox"} {
		t.Run(change, func(t *testing.T) {
			agent := newAgentUnderTest(t, map[int32]string{8080: echoServer(t, "app")})
			conn, err := dialTestTunnel(t, agent.url, "/portForward/default/web")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if change == "deleted" {
				agent.pods.set(nil)
			} else {
				agent.pods.set(&Sandbox{ID: "sb-2", PodUID: "uid-1"})
			}
			select {
			case <-conn.CloseChan():
			case <-time.After(5 * time.Second):
				t.Fatal("the tunnel stayed open after the pod was " + change)
			}
			waitFor(t, "the handler to return", func() bool { return agent.active.Load() == 0 })
		})
	}
}

func TestHandlerReturnsWhenTheClientCloses(t *testing.T) {
	agent := newAgentUnderTest(t, map[int32]string{8080: echoServer(t, "app")})
	conn, err := dialTestTunnel(t, agent.url, "/portForward/default/web")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the tunnel to be up", func() bool { return agent.active.Load() == 1 })
	conn.Close()
	waitFor(t, "the handler to return", func() bool { return agent.active.Load() == 0 })
}

func TestHandlerReportsAnUnreachableStreamingServer(t *testing.T) {
	agent := newAgentUnderTest(t, nil)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	agent.runtime.url = "http://" + closed.Addr().String() + "/portforward/x"
	closed.Close()
	_, err = dialTestTunnel(t, agent.url, "/portForward/default/web")
	if err == nil || !strings.Contains(err.Error(), "streaming server") {
		t.Fatalf("dial = %v; want an error naming the runtime's streaming server", err)
	}
}

func TestNewHandlerNeedsItsParts(t *testing.T) {
	if _, err := NewHandler(HandlerConfig{}); err == nil {
		t.Fatal("NewHandler without Pods and Runtime succeeded")
	}
}

func TestDialTunnelMarksAMissingPod(t *testing.T) {
	agent := newAgentUnderTest(t, nil)
	agent.pods.set(nil)
	_, err := dialTestTunnel(t, agent.url, "/portForward/default/web")
	if !errors.Is(err, errPodNotOnAgent) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("dial = %v; want errPodNotOnAgent with the agent's message", err)
	}
}

func TestRequestedPortsResolvesNames(t *testing.T) {
	declared := []v1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "dns", ContainerPort: 53, Protocol: v1.ProtocolUDP}}
	ports, query, err := requestedPorts(url.Values{"port": {"http,9090"}, "other": {"x"}}, declared)
	if err != nil || len(ports) != 2 || ports[0] != 8080 || ports[1] != 9090 {
		t.Fatalf("ports %v, %v", ports, err)
	}
	if got := query.Encode(); got != "other=x&port=8080&port=9090" {
		t.Fatalf("rewritten query %q", got)
	}
	for _, bad := range []string{"dns", "0", "70000", "nope"} {
		if _, _, err := requestedPorts(url.Values{"port": {bad}}, declared); err == nil {
			t.Errorf("port=%s accepted", bad)
		}
	}
}

// TestTunnelOutlivesTheServersTimeouts checks that an agent whose
// http.Server has short read and write timeouts does not cut idle tunnels
// (net/http clears its deadlines when the proxy hijacks the connection;
// this guards that the tunnel relies on nothing else).
func TestTunnelOutlivesTheServersTimeouts(t *testing.T) {
	agent := newAgentWithServer(t, map[int32]string{8080: echoServer(t, "app")}, func(srv *http.Server) {
		srv.ReadTimeout, srv.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	})
	conn, err := dialTestTunnel(t, agent.url, "/portForward/default/web")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(400 * time.Millisecond)
	pair, err := createStreams(conn, 8080, 1)
	if err != nil {
		t.Fatalf("after idling past the server's timeouts: %v", err)
	}
	if _, err := pair.data.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := pair.data.Read(buf); err != nil || string(buf[:n]) != "app:late" {
		t.Fatalf("through the tunnel after idling: %q, %v", buf[:n], err)
	}
}

// dialTestTunnel opens a tunnel to path on the agent at base.
func dialTestTunnel(t *testing.T, base, path string) (httpstream.Connection, error) {
	t.Helper()
	agent, err := newAgentClient(base, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(agent.close)
	return dialTunnel(context.Background(), agent, []string{path}, 0, 5*time.Second)
}

// TestProxyLogsThroughTheAgentsLogger checks that the upgrade proxy's own
// diagnostics arrive on the handler's slog logger, not on klog's stderr.
func TestProxyLogsThroughTheAgentsLogger(t *testing.T) {
	notStreaming := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("plain answer, no upgrade"))
	}))
	defer notStreaming.Close()
	logs := &testutil.SyncBuffer{}
	h, err := NewHandler(HandlerConfig{
		Pods: &fakeLocator{sandbox: &Sandbox{ID: "sb-1"}}, Runtime: &fakeRuntime{url: notStreaming.URL + "/portforward/x"},
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(KubeletPattern, h)
	agent := httptest.NewServer(mux)
	defer agent.Close()
	if _, err := dialTestTunnel(t, agent.URL, "/portForward/default/web"); err == nil {
		t.Fatal("a streaming server that does not upgrade gave a tunnel")
	}
	if got := logs.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "invalid upgrade response") {
		t.Fatalf("agent log:\n%s\nwant the proxy's error as a structured line", got)
	}
}
