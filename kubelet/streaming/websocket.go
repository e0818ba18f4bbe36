package streaming

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// statusWriteTimeout bounds writing the final status to a client that no
// longer reads.
const statusWriteTimeout = 10 * time.Second

// wsClient is the client's side of a translated session: a v5.channel.k8s.io
// WebSocket whose channels are the process's streams (0 stdin, 1 stdout,
// 2 stderr, 3 the status, 4 terminal sizes).
type wsClient struct {
	conn    *wsstream.Conn
	streams []io.ReadWriteCloser
	// gone is closed when the client's connection ends (see watchResize).
	gone      chan struct{}
	closeOnce sync.Once
	// sizes carries the terminal sizes the client sends, for a TTY.
	sizes chan remotecommand.TerminalSize
}

// acceptWebSocket answers the upgrade (101) and opens the channels the
// streams need; the resize channel is always open. On error wsstream has
// already answered the client.
func acceptWebSocket(w http.ResponseWriter, r *http.Request, streams Streams, idleTimeout time.Duration) (*wsClient, error) {
	channels := make([]wsstream.ChannelType, 5)
	channels[remotecommandconsts.StreamStdIn] = channelIf(streams.Stdin, wsstream.ReadChannel)
	channels[remotecommandconsts.StreamStdOut] = channelIf(streams.Stdout, wsstream.WriteChannel)
	channels[remotecommandconsts.StreamStdErr] = channelIf(streams.Stderr, wsstream.WriteChannel)
	channels[remotecommandconsts.StreamErr] = wsstream.WriteChannel
	channels[remotecommandconsts.StreamResize] = wsstream.ReadChannel
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		remotecommandconsts.StreamProtocolV5Name: {Binary: true, Channels: channels},
	})
	conn.SetIdleTimeout(idleTimeout)
	_, opened, err := conn.Open(w, r)
	if err != nil {
		return nil, fmt.Errorf("accepting the WebSocket: %w", err)
	}
	client := &wsClient{conn: conn, streams: opened, gone: make(chan struct{}), sizes: make(chan remotecommand.TerminalSize)}
	// An empty frame on the first stream the client reads tells it the
	// session is up, as the API server does.
	first := remotecommandconsts.StreamErr
	switch {
	case streams.Stdout:
		first = remotecommandconsts.StreamStdOut
	case streams.Stderr:
		first = remotecommandconsts.StreamStdErr
	}
	if _, err := opened[first].Write(nil); err != nil {
		client.close()
		return nil, fmt.Errorf("greeting the WebSocket client: %w", err)
	}
	go client.watchResize(r.Context())
	return client, nil
}

func channelIf(on bool, kind wsstream.ChannelType) wsstream.ChannelType {
	if on {
		return kind
	}
	return wsstream.IgnoreChannel
}

// watchResize decodes the terminal sizes the client sends and notices the
// client leaving. wsstream feeds every channel through a pipe that blocks
// until read, so the resize channel must be drained even without a TTY;
// it ends (EOF) only when the connection closes, which is how the session
// learns that the client went away.
func (c *wsClient) watchResize(ctx context.Context) {
	defer close(c.gone)
	defer close(c.sizes)
	decoder := json.NewDecoder(c.streams[remotecommandconsts.StreamResize])
	for {
		var size remotecommand.TerminalSize
		if err := decoder.Decode(&size); err != nil {
			return
		}
		select {
		case c.sizes <- size:
		case <-ctx.Done():
			return
		}
	}
}

// Next implements remotecommand.TerminalSizeQueue; nil ends the resizes.
func (c *wsClient) Next() *remotecommand.TerminalSize {
	size, ok := <-c.sizes
	if !ok {
		return nil
	}
	return &size
}

// streamOptions wires the WebSocket's channels into the SPDY executor.
func (c *wsClient) streamOptions(streams Streams) remotecommand.StreamOptions {
	var opts remotecommand.StreamOptions
	if streams.Stdin {
		opts.Stdin = c.streams[remotecommandconsts.StreamStdIn]
	}
	if streams.Stdout {
		opts.Stdout = c.streams[remotecommandconsts.StreamStdOut]
	}
	if streams.Stderr {
		opts.Stderr = c.streams[remotecommandconsts.StreamStdErr]
	}
	if streams.TTY {
		opts.Tty = true
		opts.TerminalSizeQueue = c
	}
	return opts
}

// writeStatus sends the session's outcome on the status channel: the
// Status the runtime's side ended with, read by kubectl as success, "command
// terminated with exit code N", or an error.
func (c *wsClient) writeStatus(status *apierrors.StatusError) error {
	body, err := json.Marshal(status.Status())
	if err != nil {
		return err
	}
	c.conn.SetWriteDeadline(statusWriteTimeout)
	_, err = c.streams[remotecommandconsts.StreamErr].Write(body)
	return err
}

func (c *wsClient) close() {
	c.closeOnce.Do(func() { _ = c.conn.Close() })
}
