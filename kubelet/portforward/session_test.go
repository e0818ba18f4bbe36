package portforward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// fakeAgent serves GET /pods and the port-forward routes over one settable
// pod, the way the real agent does, with a fake runtime behind.
type fakeAgent struct {
	url    string
	stream *fakeStreamingServer

	mu  sync.Mutex
	pod *v1.Pod
}

func newFakeAgent(t *testing.T, pod *v1.Pod, tunnelTargets map[int32]string) *fakeAgent {
	t.Helper()
	return newFakeAgentServed(t, pod, tunnelTargets, func(h http.Handler) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	})
}

// newFakeAgentServed lets a test choose how the agent's API is served
// (TLS, a unix socket, a token check); serve returns the --server value.
func newFakeAgentServed(t *testing.T, pod *v1.Pod, tunnelTargets map[int32]string, serve func(http.Handler) string) *fakeAgent {
	t.Helper()
	a := &fakeAgent{pod: pod, stream: newFakeStreamingServer(t, tunnelTargets)}
	h, err := NewHandler(HandlerConfig{Pods: a, Runtime: &fakeRuntime{url: a.stream.URL + "/portforward/t"}, PodCheckInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, pattern := range Patterns() {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("GET /pods", func(w http.ResponseWriter, _ *http.Request) {
		list := v1.PodList{}
		if p := a.current(); p != nil {
			list.Items = append(list.Items, *p)
		}
		_ = json.NewEncoder(w).Encode(list)
	})
	a.url = serve(mux)
	return a
}

func (a *fakeAgent) current() *v1.Pod {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pod
}

func (a *fakeAgent) setPod(pod *v1.Pod) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pod = pod
}

// PodSandbox implements PodLocator from the listed pod.
func (a *fakeAgent) PodSandbox(_ context.Context, namespace, name string) (Sandbox, error) {
	p := a.current()
	if p == nil || p.Namespace != namespace || p.Name != name {
		return Sandbox{}, fmt.Errorf("pod %s/%s: %w", namespace, name, ErrNotFound)
	}
	return Sandbox{ID: "sb-" + string(p.UID), PodUID: p.UID, PodIP: p.Status.PodIP}, nil
}

func testPod(podIP string, ports ...v1.ContainerPort) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: types.UID("uid-1")},
		Spec:       v1.PodSpec{Containers: []v1.Container{{Name: "app", Ports: ports}}},
		Status:     v1.PodStatus{Phase: v1.PodRunning, PodIP: podIP},
	}
}

// startTestSession starts a session on 127.0.0.1 and stops it at cleanup.
func startTestSession(t *testing.T, agent *fakeAgent, mode DirectMode, ports ...string) (*Session, *testutil.SyncBuffer) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	session, err := Start(ctx, Options{
		Server: agent.url, Pod: "web", Addresses: []string{"127.0.0.1"}, Ports: ports, Direct: mode,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), PodCheckInterval: 20 * time.Millisecond,
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-session.Done()
	})
	return session, logs
}

func dialLocal(t *testing.T, session *Session, remote int32) net.Conn {
	t.Helper()
	for _, p := range session.Ports() {
		if p.Remote == remote && p.Protocol == v1.ProtocolTCP {
			conn, err := net.Dial("tcp", p.Address)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			return conn
		}
	}
	t.Fatalf("no local TCP port for remote %d in %v", remote, session.Ports())
	return nil
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int32 {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int32(l.Addr().(*net.TCPAddr).Port)
}

func portOf(t *testing.T, addr string) int32 {
	_, port, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

func TestSessionForwardsThroughTheTunnel(t *testing.T) {
	agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "tunnel")})
	session, _ := startTestSession(t, agent, DirectNever, ":8080")
	if got := roundTrip(t, dialLocal(t, session, 8080), "ping"); got != "tunnel:ping" {
		t.Fatalf("answer %q, want tunnel:ping", got)
	}
}

func TestAutoGoesStraightToThePodIPAndFallsBackToTheTunnel(t *testing.T) {
	direct := echoServer(t, "direct")
	directPort, localOnlyPort := portOf(t, direct), freePort(t)
	agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{directPort: echoServer(t, "tunnel"), localOnlyPort: echoServer(t, "tunnel")})
	session, logs := startTestSession(t, agent, DirectAuto, fmt.Sprintf(":%d", directPort), fmt.Sprintf(":%d", localOnlyPort))
	if got := roundTrip(t, dialLocal(t, session, directPort), "a"); got != "direct:a" {
		t.Fatalf("port the pod IP answers on: %q, want direct:a", got)
	}
	for i := range 3 {
		if got := roundTrip(t, dialLocal(t, session, localOnlyPort), "b"); got != "tunnel:b" {
			t.Fatalf("connection %d to a port only the pod's localhost has: %q, want tunnel:b", i, got)
		}
	}
	if n := strings.Count(logs.String(), "using the runtime tunnel"); n != 1 {
		t.Fatalf("the fallback was logged %d times, want once:\n%s", n, logs)
	}
}

func TestFailingConnectionDoesNotEndTheSession(t *testing.T) {
	agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "app")})
	session, logs := startTestSession(t, agent, DirectNever, ":8080", ":9999")
	broken := dialLocal(t, session, 9999)
	_ = broken.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := broken.Read(make([]byte, 16)); err != io.EOF {
		t.Fatalf("connection to a closed pod port: read %d bytes, %v; want EOF", n, err)
	}
	waitFor(t, "the failure to be logged", func() bool { return strings.Contains(logs.String(), "localhost:9999") })
	if got := roundTrip(t, dialLocal(t, session, 8080), "still"); got != "app:still" {
		t.Fatalf("after a failed connection: %q", got)
	}
	select {
	case <-session.Done():
		t.Fatalf("one failed connection ended the session: %v", session.Wait())
	default:
	}
}

func TestManyParallelConnectionsThroughOneTunnel(t *testing.T) {
	agent := newFakeAgent(t, testPod(""), map[int32]string{8080: echoServer(t, "app")})
	session, _ := startTestSession(t, agent, DirectNever, ":8080")
	addr := session.Ports()[0].Address
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			msg := fmt.Sprintf("m%d", i)
			if _, err := conn.Write([]byte(msg)); err != nil {
				errs <- err
				return
			}
			buf := make([]byte, 64)
			n, err := io.ReadAtLeast(conn, buf, len("app:")+len(msg))
			if err != nil || string(buf[:n]) != "app:"+msg {
				errs <- fmt.Errorf("connection %d: %q, %v", i, buf[:n], err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := agent.stream.upgrades.Load(); n != 1 {
		t.Errorf("%d tunnels opened, want one shared by every connection", n)
	}
}

func TestSessionEndsWhenThePodGoesAway(t *testing.T) {
	replaced := testPod("127.0.0.1")
	replaced.UID = "uid-2"
	terminated := testPod("127.0.0.1")
	terminated.Status.Phase = v1.PodFailed
	for name, next := range map[string]*v1.Pod{"was deleted": nil, "was replaced": replaced, "has terminated": terminated} {
		t.Run(name, func(t *testing.T) {
			agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "app")})
			session, _ := startTestSession(t, agent, DirectNever, ":8080")
			open := dialLocal(t, session, 8080)
			roundTrip(t, open, "x")
			agent.setPod(next)
			select {
			case <-session.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the session outlived its pod")
			}
			var gone *PodGoneError
			if err := session.Wait(); !errors.As(err, &gone) || !strings.Contains(err.Error(), name) {
				t.Fatalf("Wait = %v; want a PodGoneError saying the pod %s", err, name)
			}
			if _, err := net.Dial("tcp", session.Ports()[0].Address); err == nil {
				t.Fatal("the local port still accepts connections after the session ended")
			}
			_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := open.Read(make([]byte, 1)); err == nil {
				t.Fatal("an open connection survived the session")
			}
		})
	}
}

func TestCancelEndsTheSessionCleanly(t *testing.T) {
	agent := newFakeAgent(t, testPod("127.0.0.1"), map[int32]string{8080: echoServer(t, "app")})
	ctx, cancel := context.WithCancel(context.Background())
	session, err := Start(ctx, Options{Server: agent.url, Pod: "web", Addresses: []string{"127.0.0.1"}, Ports: []string{":8080"}, Direct: DirectNever})
	if err != nil {
		t.Fatal(err)
	}
	open := dialLocal(t, session, 8080)
	roundTrip(t, open, "x")
	cancel()
	if err := waitSession(t, session); err != nil {
		t.Fatalf("Wait after cancel = %v, want nil", err)
	}
	_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil {
		t.Fatal("an open connection survived the session")
	}
}

func TestUDPGoesStraightToThePodIP(t *testing.T) {
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteTo(append([]byte("udp:"), buf[:n]...), from)
		}
	}()
	port := echo.LocalAddr().(*net.UDPAddr).Port
	agent := newFakeAgent(t, testPod("127.0.0.1", v1.ContainerPort{Name: "dns", ContainerPort: int32(port), Protocol: v1.ProtocolUDP}), nil)
	session, _ := startTestSession(t, agent, DirectAuto, ":dns")
	ports := session.Ports()
	if len(ports) != 1 || ports[0].Protocol != v1.ProtocolUDP || !strings.HasSuffix(ports[0].String(), "(UDP)") {
		t.Fatalf("ports %v; want one UDP port for the named UDP port", ports)
	}
	conn, err := net.Dial("udp", ports[0].Address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	for _, msg := range []string{"one", "two"} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, err := conn.Read(buf)
		if err != nil || string(buf[:n]) != "udp:"+msg {
			t.Fatalf("UDP echo of %q: %q, %v", msg, buf[:n], err)
		}
	}
}

func TestStartRefusesWhatCannotWork(t *testing.T) {
	pending := testPod("127.0.0.1")
	pending.Status.Phase = v1.PodPending
	tests := []struct {
		name      string
		pod       *v1.Pod
		opts      Options
		mentioned string
	}{
		{name: "missing pod", pod: nil, opts: Options{Pod: "web", Ports: []string{"80"}}, mentioned: `pod "web" in namespace "default"`},
		{name: "pending pod", pod: pending, opts: Options{Pod: "web", Ports: []string{"80"}}, mentioned: "not running (phase Pending)"},
		{name: "udp without direct", pod: testPod("127.0.0.1"), opts: Options{Pod: "web", Ports: []string{"53/udp"}, Direct: DirectNever}, mentioned: "--direct=never"},
		{name: "unknown named port", pod: testPod("127.0.0.1"), opts: Options{Pod: "web", Ports: []string{"metrics"}}, mentioned: `no port named "metrics"`},
		{name: "bad spec", pod: testPod("127.0.0.1"), opts: Options{Pod: "web", Ports: []string{"80:"}}, mentioned: "no remote port"},
		{name: "bad mode", pod: testPod("127.0.0.1"), opts: Options{Pod: "web", Ports: []string{"80"}, Direct: "sometimes"}, mentioned: "--direct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent := newFakeAgent(t, tt.pod, nil)
			tt.opts.Server = agent.url
			_, err := Start(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.mentioned) {
				t.Fatalf("Start = %v; want an error mentioning %q", err, tt.mentioned)
			}
		})
	}
}

func TestStartNamesAnUnreachableAgent(t *testing.T) {
	_, err := Start(context.Background(), Options{Server: "http://127.0.0.1:" + strconv.Itoa(int(freePort(t))), Pod: "web", Ports: []string{"80"}})
	if err == nil || !strings.Contains(err.Error(), "--server") {
		t.Fatalf("Start = %v; want an error pointing at --server", err)
	}
}

// waitSession is Session.Wait that fails the test after five seconds, so a
// session that cannot stop fails rather than hangs.
func waitSession(t *testing.T, session *Session) error {
	t.Helper()
	select {
	case <-session.Done():
		return session.Wait()
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not stop within 5s")
		return nil
	}
}
