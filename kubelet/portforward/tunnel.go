package portforward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/portforward"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

// errorStreamWait bounds how long a finished connection waits for the
// runtime's verdict on its error stream; containerd closes it up to a
// second after the data stream ends.
const errorStreamWait = 3 * time.Second

// errPodNotOnAgent marks a tunnel refused because the agent no longer has
// the pod (HTTP 404), which ends the session rather than one connection.
var errPodNotOnAgent = errors.New("the agent no longer has the pod")

// tunnel is the session's path through the agent and the runtime: one SPDY
// connection, dialed when first needed and again after it breaks, carrying
// one stream pair per forwarded connection.
type tunnel struct {
	agent      *agentClient
	path       []string
	pingPeriod time.Duration
	dialWait   time.Duration

	mu        sync.Mutex
	conn      httpstream.Connection
	requestID atomic.Int64
}

// connection returns the live SPDY connection, dialing a new one if there
// is none or the last one closed. Dials are serialized so a burst of new
// local connections shares one dial.
func (t *tunnel) connection(ctx context.Context) (httpstream.Connection, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn != nil {
		select {
		case <-t.conn.CloseChan():
			t.conn = nil
		default:
			return t.conn, nil
		}
	}
	conn, err := dialTunnel(ctx, t.agent, t.path, t.pingPeriod, t.dialWait)
	if err != nil {
		return nil, err
	}
	t.conn = conn
	return conn, nil
}

// drop forgets conn if it is still the current one, so the next forward
// dials again; used when creating a stream on it failed.
func (t *tunnel) drop(conn httpstream.Connection) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn == conn {
		_ = conn.Close()
		t.conn = nil
	}
}

// close ends the SPDY connection and with it every stream.
func (t *tunnel) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conn != nil {
		_ = t.conn.Close()
		t.conn = nil
	}
}

// dialTunnel upgrades a POST to the agent's port-forward route to SPDY.
func dialTunnel(ctx context.Context, agent *agentClient, path []string, pingPeriod, wait time.Duration) (httpstream.Connection, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	target := agent.url(path...)
	upgrader, err := spdy.NewRoundTripperWithConfig(spdy.RoundTripperConfig{PingPeriod: pingPeriod, UpgradeTransport: agent.transport})
	if err != nil {
		return nil, fmt.Errorf("preparing the SPDY client: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return nil, fmt.Errorf("port-forward URL %q: %w", target, err)
	}
	agent.authorize(req)
	req.Header.Set(httpstream.HeaderProtocolVersion, portforward.PortForwardV1Name)
	resp, err := upgrader.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("connecting to the agent at %s: %w", agent.display, err)
	}
	switch resp.StatusCode {
	case http.StatusNotFound:
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("%w: %s", errPodNotOnAgent, trimBody(body))
	case http.StatusUnauthorized, http.StatusForbidden:
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("opening the port-forward tunnel at %s: %s: %s%s", agent.display, resp.Status, trimBody(body), authHint(resp.StatusCode))
	}
	conn, err := upgrader.NewConnection(resp)
	if err != nil {
		return nil, fmt.Errorf("opening the port-forward tunnel at %s: %w", agent.display, err)
	}
	if got := resp.Header.Get(httpstream.HeaderProtocolVersion); got != portforward.PortForwardV1Name {
		_ = conn.Close()
		return nil, fmt.Errorf("opening the port-forward tunnel at %s: the server speaks %q, not %q", agent.display, got, portforward.PortForwardV1Name)
	}
	return conn, nil
}

// streamPair is one forwarded connection's streams on the SPDY connection.
type streamPair struct {
	conn         httpstream.Connection
	data, errors httpstream.Stream
}

// open creates the error and data streams for one connection to port,
// redialing once if the current SPDY connection turns out to be dead.
func (t *tunnel) open(ctx context.Context, port int32) (*streamPair, error) {
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		conn, err := t.connection(ctx)
		if err != nil {
			return nil, err
		}
		pair, err := createStreams(conn, port, t.requestID.Add(1))
		if err == nil {
			return pair, nil
		}
		lastErr = err
		t.drop(conn)
	}
	return nil, lastErr
}

func createStreams(conn httpstream.Connection, port int32, requestID int64) (*streamPair, error) {
	headers := http.Header{}
	headers.Set(v1.StreamType, v1.StreamTypeError)
	headers.Set(v1.PortHeader, strconv.Itoa(int(port)))
	headers.Set(v1.PortForwardRequestIDHeader, strconv.FormatInt(requestID, 10))
	errorStream, err := conn.CreateStream(headers)
	if err != nil {
		return nil, fmt.Errorf("creating the error stream for port %d: %w", port, err)
	}
	// Only the runtime writes on the error stream.
	_ = errorStream.Close()
	headers.Set(v1.StreamType, v1.StreamTypeData)
	dataStream, err := conn.CreateStream(headers)
	if err != nil {
		_ = errorStream.Reset()
		conn.RemoveStreams(errorStream)
		return nil, fmt.Errorf("creating the data stream for port %d: %w", port, err)
	}
	return &streamPair{conn: conn, data: dataStream, errors: errorStream}, nil
}

// forwardTunnel carries local through the tunnel to the pod's port and
// returns what went wrong, if anything, for this connection alone.
func (t *tunnel) forwardTunnel(ctx context.Context, local halfCloser, port int32) error {
	pair, err := t.open(ctx, port)
	if err != nil {
		return err
	}
	defer pair.conn.RemoveStreams(pair.errors, pair.data)
	verdict := make(chan error, 1)
	go func() { verdict <- readErrorStream(pair.errors) }()

	copyErr := pipeStream(local, pair.data)
	_ = pair.data.Reset()
	timer := time.NewTimer(errorStreamWait)
	defer timer.Stop()
	select {
	case err := <-verdict:
		if err != nil {
			return err
		}
	case <-timer.C:
		_ = pair.errors.Reset()
		<-verdict
	}
	return copyErr
}

// readErrorStream returns the runtime's message about the connection, nil
// if it had none.
func readErrorStream(stream httpstream.Stream) error {
	message, err := io.ReadAll(stream)
	switch {
	case len(message) > 0:
		return errors.New(string(message))
	case err != nil:
		return fmt.Errorf("reading the runtime's error stream: %w", err)
	}
	return nil
}

func trimBody(body []byte) string {
	text := string(body)
	for len(text) > 0 && (text[len(text)-1] == '\n' || text[len(text)-1] == ' ') {
		text = text[:len(text)-1]
	}
	return text
}
