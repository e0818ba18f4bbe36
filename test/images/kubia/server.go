package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// server is kubia's default mode: HTTP (and optionally UDP) listeners plus the
// scripted start-up behaviours chosen by options.
type server struct {
	opts     options
	hostname string
	stdout   io.Writer
	stderr   io.Writer

	// ready is closed once every listener is bound; addrs is set by then.
	ready chan struct{}
	addrs []net.Addr
}

// newServer returns a server whose output goes to stdout and stderr, each
// guarded so concurrent handlers write whole lines.
func newServer(opts options, hostname string, stdout, stderr io.Writer) *server {
	return &server{
		opts:     opts,
		hostname: hostname,
		stdout:   newSyncWriter(stdout),
		stderr:   newSyncWriter(stderr),
		ready:    make(chan struct{}),
	}
}

// run serves until a stop signal, the scripted exit, or ctx ends, and returns
// the exit code.
func (s *server) run(ctx context.Context, signals <-chan os.Signal) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	memory := allocate(s.opts.allocMiB)
	if s.opts.allocMiB > 0 {
		fmt.Fprintf(s.stdout, "allocated %d MiB\n", s.opts.allocMiB)
	}
	defer runtime.KeepAlive(memory)
	if s.opts.busyMillis > 0 {
		burn(ctx, s.opts.busyMillis)
		fmt.Fprintf(s.stdout, "keeping %d millicores busy\n", s.opts.busyMillis)
	}

	closeListeners, err := s.listen(ctx)
	if err != nil {
		fmt.Fprintf(s.stderr, "kubia: %v\n", err)
		return 1
	}
	defer closeListeners()
	close(s.ready)

	exitCode := make(chan int, 1)
	go s.script(ctx, exitCode)
	for {
		select {
		case code := <-exitCode:
			fmt.Fprintf(s.stdout, "exiting with code %d\n", code)
			return code
		case sig := <-signals:
			if s.onSignal(sig) {
				return 0
			}
		case <-ctx.Done():
			return 0
		}
	}
}

// onSignal reacts to a stop signal and reports whether to exit.
func (s *server) onSignal(sig os.Signal) bool {
	if sig == syscall.SIGTERM && s.opts.sigtermFile != "" {
		if err := os.WriteFile(s.opts.sigtermFile, []byte("SIGTERM\n"), 0o644); err != nil {
			fmt.Fprintf(s.stderr, "kubia: write SIGTERM marker %s: %v\n", s.opts.sigtermFile, err)
		}
	}
	if sig == syscall.SIGTERM && s.opts.ignoreSigterm {
		fmt.Fprintln(s.stdout, "received SIGTERM, ignoring it")
		return false
	}
	fmt.Fprintf(s.stdout, "received %v, exiting\n", sig)
	return true
}

// script prints the start-up log lines and then, if asked, sends the exit
// code after the configured delay.
func (s *server) script(ctx context.Context, exitCode chan<- int) {
	out := s.stdout
	if s.opts.logStderr {
		out = s.stderr
	}
	for i := 1; i <= s.opts.logLines; i++ {
		if i > 1 && !sleepCtx(ctx, s.opts.logInterval) {
			return
		}
		if i == s.opts.logLines && s.opts.logPartial {
			fmt.Fprintf(out, "line %d", i)
		} else {
			fmt.Fprintf(out, "line %d\n", i)
		}
	}
	if s.opts.exitRequested && sleepCtx(ctx, s.opts.exitAfter) {
		exitCode <- s.opts.exitCode
	}
}

// listen binds every configured listener and starts serving; the returned
// function closes them all.
func (s *server) listen(ctx context.Context) (func(), error) {
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	handler := s.handler()
	for _, addr := range append([]string{s.opts.listen}, s.opts.extraListenAddrs()...) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("listen for HTTP on %s: %w", addr, err)
		}
		httpServer := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = httpServer.Serve(ln) }()
		closers = append(closers, func() { _ = httpServer.Close() })
		s.addrs = append(s.addrs, ln.Addr())
		fmt.Fprintf(s.stdout, "listening on %s (http)\n", ln.Addr())
	}
	if s.opts.udpEcho != "" {
		conn, err := net.ListenPacket("udp", s.opts.udpEcho)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("listen for UDP echo on %s: %w", s.opts.udpEcho, err)
		}
		go s.echoUDP(conn)
		closers = append(closers, func() { _ = conn.Close() })
		s.addrs = append(s.addrs, conn.LocalAddr())
		fmt.Fprintf(s.stdout, "listening on %s (udp echo)\n", conn.LocalAddr())
	}
	return closeAll, nil
}

// echoUDP sends every datagram back to its sender until conn is closed.
func (s *server) echoUDP(conn net.PacketConn) {
	buf := make([]byte, 64*1024)
	for {
		n, from, err := conn.ReadFrom(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			fmt.Fprintf(s.stderr, "kubia: udp read: %v\n", err)
			continue
		}
		fmt.Fprintf(s.stdout, "udp %d bytes from %s\n", n, from)
		if _, err := conn.WriteTo(buf[:n], from); err != nil {
			fmt.Fprintf(s.stderr, "kubia: udp echo to %s: %v\n", from, err)
		}
	}
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.switchedProbe(s.opts.unhealthyFile))
	mux.HandleFunc("/ready", s.switchedProbe(s.opts.unreadyFile))
	mux.HandleFunc("GET /bytes", serveBytes)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "You've hit %s\n", s.hostname)
	})
	return s.logRequests(mux)
}

// switchedProbe answers 500 while failFile exists so a test can flip a
// probe's result with kubia write / kubia rm.
func (s *server) switchedProbe(failFile string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if failFile != "" {
			if _, err := os.Stat(failFile); err == nil {
				http.Error(w, fmt.Sprintf("failing: %s exists", failFile), http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	}
}

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(s.stdout, "%s %s from %s\n", r.Method, r.URL.Path, r.RemoteAddr)
		next.ServeHTTP(w, r)
	})
}

// allocate returns miB MiB of memory with every page written, so the pages
// count against the container's memory limit rather than staying virtual.
func allocate(miB int) [][]byte {
	const chunk = 1 << 20
	held := make([][]byte, 0, miB)
	for range miB {
		block := make([]byte, chunk)
		for i := 0; i < chunk; i += 4096 {
			block[i] = 1
		}
		held = append(held, block)
	}
	return held
}

// sleepCtx waits d and reports whether it did so before ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// syncWriter serialises writes so lines from concurrent handlers do not
// interleave inside one another.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func newSyncWriter(w io.Writer) *syncWriter { return &syncWriter{w: w} }

func (sw *syncWriter) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.w.Write(p)
}
