package portforward

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// hijackTracker is the ResponseWriter handed to the upgrade proxy: it keeps
// the connection the proxy takes over, so the handler can cut a tunnel that
// the proxy itself would keep until a peer closes it.
type hijackTracker struct {
	http.ResponseWriter

	mu        sync.Mutex
	conn      net.Conn
	cutReason string
}

// Hijack implements http.Hijacker for the proxy. A tunnel cut before the
// proxy got its connection is closed at once.
func (t *hijackTracker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(t.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conn = conn
	if t.cutReason != "" {
		_ = conn.Close()
	}
	return conn, rw, nil
}

// cut closes the client's connection, which ends the proxy's copy loops;
// the first reason given is kept for the log.
func (t *hijackTracker) cut(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cutReason != "" {
		return
	}
	t.cutReason = reason
	if t.conn != nil {
		_ = t.conn.Close()
	}
}

func (t *hijackTracker) hijacked() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conn != nil
}

// reason says why the tunnel ended: a cut's reason, or a peer closing it.
func (t *hijackTracker) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cutReason != "" {
		return t.cutReason
	}
	return "closed by the client or the runtime"
}
