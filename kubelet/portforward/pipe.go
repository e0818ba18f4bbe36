package portforward

import (
	"errors"
	"io"
	"net"
	"sync"

	"k8s.io/streaming/pkg/httpstream"
)

// halfCloser is a connection whose sending side can be closed on its own,
// as *net.TCPConn's can, so a peer's end-of-stream reaches the other peer
// without cutting the answer still coming back.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// streamBufferSize is the copy buffer for tunnel streams: each read becomes
// one SPDY data frame, and larger frames cost fewer headers and syscalls.
const streamBufferSize = 256 << 10

var streamBuffers = sync.Pool{New: func() any { b := make([]byte, streamBufferSize); return &b }}

// copyStream copies src to dst through a pooled large buffer until src
// ends, telling a read error (src's side failed) from a write error (dst's
// side went away).
func copyStream(dst io.Writer, src io.Reader) (readErr, writeErr error) {
	buf := streamBuffers.Get().(*[]byte)
	defer streamBuffers.Put(buf)
	for {
		n, err := src.Read(*buf)
		if n > 0 {
			if _, werr := dst.Write((*buf)[:n]); werr != nil {
				return nil, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}

// pipeStream joins a local connection and a tunnel data stream until the
// pod's side ends, passing a local half-close on as a stream half-close.
// It returns the pod side's error, if any; the local peer hanging up is
// not an error.
func pipeStream(local halfCloser, remote httpstream.Stream) error {
	fromRemote := make(chan error, 1)
	fromLocal := make(chan error, 1)
	go func() {
		readErr, _ := copyStream(local, remote)
		fromRemote <- readErr
	}()
	go func() {
		readErr, writeErr := copyStream(remote, local)
		if readErr == nil && writeErr == nil {
			_ = remote.Close() // the local peer finished sending
		}
		fromLocal <- errors.Join(readErr, writeErr)
	}()
	var remoteErr error
	select {
	case remoteErr = <-fromRemote:
		_ = local.CloseWrite()
		_ = local.Close()
		<-fromLocal
	case localErr := <-fromLocal:
		if localErr != nil {
			_ = remote.Reset()
		}
		remoteErr = <-fromRemote
		_ = local.CloseWrite()
		_ = local.Close()
		if localErr != nil {
			remoteErr = nil // our reset, not the pod, ended the stream
		}
	}
	return remoteErr
}

// pipeConns joins two TCP connections, keeping half-closes, until both
// directions end. io.Copy between *net.TCPConn uses splice(2), so the
// bytes never enter this process. It returns the first real error.
func pipeConns(local, remote halfCloser) error {
	errs := make(chan error, 2)
	oneWay := func(dst, src halfCloser) {
		_, err := io.Copy(dst, src)
		if err == nil {
			_ = dst.CloseWrite()
		} else {
			// A reset on one side leaves nothing to wait for on the other.
			_ = local.Close()
			_ = remote.Close()
		}
		errs <- err
	}
	go oneWay(remote, local)
	go oneWay(local, remote)
	first, second := <-errs, <-errs
	_ = local.Close()
	_ = remote.Close()
	for _, err := range []error{first, second} {
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
	}
	return nil
}
