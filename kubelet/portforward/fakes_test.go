package portforward

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/portforward"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

// fakeStreamingServer is the runtime's side of portforward.k8s.io as
// containerd serves it: every stream pair becomes one connection to a port
// on the "pod's localhost", here a map from pod port to a local address.
// A port it has no target for fails through the error stream.
type fakeStreamingServer struct {
	*httptest.Server
	targets  map[int32]string
	upgrades atomic.Int32

	mu    sync.Mutex
	conns []httpstream.Connection
}

func newFakeStreamingServer(t *testing.T, targets map[int32]string) *fakeStreamingServer {
	f := &fakeStreamingServer{targets: targets}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.closeTunnels()
		f.Server.Close()
	})
	return f
}

// closeTunnels cuts every upgraded connection, as a runtime restart would.
func (f *fakeStreamingServer) closeTunnels() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.conns = nil
}

func (f *fakeStreamingServer) serve(w http.ResponseWriter, r *http.Request) {
	if _, err := httpstream.Handshake(r, w, []string{portforward.PortForwardV1Name}); err != nil {
		return
	}
	streams := make(chan httpstream.Stream, 64)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s httpstream.Stream, _ <-chan struct{}) error {
		streams <- s
		return nil
	})
	if conn == nil {
		return
	}
	f.upgrades.Add(1)
	f.mu.Lock()
	f.conns = append(f.conns, conn)
	f.mu.Unlock()
	defer conn.Close()
	pairs := map[string][2]httpstream.Stream{}
	for {
		select {
		case <-conn.CloseChan():
			return
		case s := <-streams:
			id := s.Headers().Get(v1.PortForwardRequestIDHeader)
			pair := pairs[id]
			if s.Headers().Get(v1.StreamType) == v1.StreamTypeError {
				pair[0] = s
			} else {
				pair[1] = s
			}
			pairs[id] = pair
			if pair[0] != nil && pair[1] != nil {
				delete(pairs, id)
				go f.forward(pair[0], pair[1])
			}
		}
	}
}

// forward mirrors containerd: dial, copy both ways, stop when one way ends.
func (f *fakeStreamingServer) forward(errorStream, dataStream httpstream.Stream) {
	defer errorStream.Close()
	defer dataStream.Close()
	port, _ := strconv.Atoi(dataStream.Headers().Get(v1.PortHeader))
	target, ok := f.targets[int32(port)]
	if !ok {
		fmt.Fprintf(errorStream, "failed to connect to localhost:%d inside the fake pod: connection refused", port)
		return
	}
	conn, err := net.Dial("tcp", target)
	if err != nil {
		fmt.Fprintf(errorStream, "failed to connect to localhost:%d: %v", port, err)
		return
	}
	defer conn.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(conn, dataStream); done <- struct{}{} }()
	go func() { _, _ = io.Copy(dataStream, conn); done <- struct{}{} }()
	<-done
}

// fakeLocator is a PodLocator over a settable sandbox.
type fakeLocator struct {
	mu      sync.Mutex
	sandbox *Sandbox
	err     error
}

func (l *fakeLocator) set(sandbox *Sandbox) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sandbox = sandbox
}

func (l *fakeLocator) PodSandbox(_ context.Context, namespace, name string) (Sandbox, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return Sandbox{}, l.err
	}
	if l.sandbox == nil {
		return Sandbox{}, fmt.Errorf("pod %s/%s: %w", namespace, name, ErrNotFound)
	}
	return *l.sandbox, nil
}

// fakeRuntime answers PortForward with a fixed URL or error and records
// the requests.
type fakeRuntime struct {
	url string
	err error

	mu       sync.Mutex
	requests []*runtimeapi.PortForwardRequest
}

func (r *fakeRuntime) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		return nil, status.Error(codes.Internal, "test: CRI call without a deadline")
	}
	if r.err != nil {
		return nil, r.err
	}
	return &runtimeapi.PortForwardResponse{Url: r.url}, nil
}

func (r *fakeRuntime) lastRequest() *runtimeapi.PortForwardRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.requests) == 0 {
		return nil
	}
	return r.requests[len(r.requests)-1]
}

// echoServer accepts TCP connections on loopback and echoes what it reads,
// prefixed by its name, so a test can tell which server it reached.
func echoServer(t *testing.T, name string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := conn.Read(buf)
					if n > 0 {
						if _, werr := conn.Write(append([]byte(name+":"), buf[:n]...)); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// roundTrip writes msg on conn and reads one answer.
func roundTrip(t *testing.T, conn net.Conn, msg string) string {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", msg, err)
	}
	return string(buf[:n])
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
