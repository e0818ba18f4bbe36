package streamproxy

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Tracker is the ResponseWriter handed to an upgrade proxy: it keeps the
// connection the proxy takes over, so the handler can cut a session that
// the proxy itself would keep until a peer closes it, and it ends a
// session that moves no bytes for its idle timeout.
type Tracker struct {
	http.ResponseWriter
	idleTimeout time.Duration

	mu        sync.Mutex
	conn      net.Conn
	cutReason string
	idle      *idleConn
}

// NewTracker wraps w. idleTimeout > 0 closes the hijacked connection once
// no byte has passed either way for that long.
func NewTracker(w http.ResponseWriter, idleTimeout time.Duration) *Tracker {
	return &Tracker{ResponseWriter: w, idleTimeout: idleTimeout}
}

// Hijack implements http.Hijacker for the proxy. A session cut before the
// proxy got its connection is closed at once.
func (t *Tracker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(t.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idleTimeout > 0 {
		t.idle = newIdleConn(conn, t.idleTimeout)
		conn = t.idle
	}
	t.conn = conn
	if t.cutReason != "" {
		_ = conn.Close()
	}
	return conn, rw, nil
}

// Cut closes the client's connection, which ends the proxy's copy loops;
// the first reason given is kept for the log.
func (t *Tracker) Cut(reason string) {
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

// Hijacked says whether the proxy took the connection over (the upgrade
// went through).
func (t *Tracker) Hijacked() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conn != nil
}

// Reason says why the session ended: a cut's reason, the idle timeout, or
// a peer closing it.
func (t *Tracker) Reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.cutReason != "":
		return t.cutReason
	case t.idle != nil && t.idle.expired():
		return "idle for " + t.idleTimeout.String()
	}
	return "closed by the client or the runtime"
}

// idleConn pushes its deadline forward whenever bytes pass, so a
// connection fails once it has been quiet for timeout in both directions.
// The deadline is moved at most every timeout/16, not on every read.
type idleConn struct {
	net.Conn
	timeout time.Duration
	// extended is when the deadline was last moved, in UnixNano.
	extended atomic.Int64
}

func newIdleConn(conn net.Conn, timeout time.Duration) *idleConn {
	c := &idleConn{Conn: conn, timeout: timeout}
	c.extend(time.Now())
	return c
}

func (c *idleConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) touch() {
	now := time.Now()
	if now.Sub(time.Unix(0, c.extended.Load())) >= c.timeout/16 {
		c.extend(now)
	}
}

func (c *idleConn) extend(now time.Time) {
	c.extended.Store(now.UnixNano())
	_ = c.Conn.SetDeadline(now.Add(c.timeout))
}

// expired says whether the idle deadline has passed.
func (c *idleConn) expired() bool {
	return time.Since(time.Unix(0, c.extended.Load())) >= c.timeout
}
