package apiclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxWatchEventBytes bounds one event of a watch stream. An event holds
// one object, and the agent serves no pod larger than a manifest file
// (10 MiB) with its status.
const maxWatchEventBytes = 16 << 20

// ErrWatchClosed is Watch's answer when the server ends the stream, as
// it does when the watch's timeout passes or the agent stops.
var ErrWatchClosed = errors.New("the server closed the watch")

// WatchEvent is one event of a watch stream. Its object is left raw: a
// Pod, a one-row Table when the watch asked for one, or a Status.
type WatchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// WatchHandler is given each event in turn; done ends the watch.
type WatchHandler func(WatchEvent) (done bool, err error)

// Watch streams the changes of resource that opts selects, from
// opts.ResourceVersion on, as Table rows when asTable, and hands each to
// handle. It returns nil when handle is done, handle's error, ctx.Err()
// when the context ends, ErrWatchClosed when the server ends the stream,
// and the server's Status when it ends the watch with an ERROR event.
func (c *Client) Watch(ctx context.Context, resource string, opts ListOptions, asTable bool, handle WatchHandler) error {
	req := c.listRequest(resource, opts).Param("watch", "true").Param("resourceVersion", opts.ResourceVersion)
	if asTable {
		req = req.SetHeader("Accept", tableAccept)
	}
	stream, err := req.Stream(ctx)
	if err != nil {
		return err
	}
	defer stream.Close()
	// The server writes one JSON event a line, as the API server does.
	lines := bufio.NewScanner(stream)
	lines.Buffer(make([]byte, 0, 64<<10), maxWatchEventBytes)
	for lines.Scan() {
		if len(bytes.TrimSpace(lines.Bytes())) == 0 {
			continue
		}
		var ev WatchEvent
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			return fmt.Errorf("decoding a watch event: %w", err)
		}
		if ev.Type == "ERROR" {
			return fmt.Errorf("watch ended by the server: %w", statusError(ev.Object))
		}
		if done, err := handle(ev); done || err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := lines.Err(); errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("reading the watch: an event is over %d bytes: %w", maxWatchEventBytes, err)
	} else if err != nil {
		return fmt.Errorf("reading the watch: %w", err)
	}
	return ErrWatchClosed
}

// statusError turns an ERROR event's Status into the error client-go
// would give for it, so its message reaches the user.
func statusError(raw json.RawMessage) error {
	var status metav1.Status
	if err := json.Unmarshal(raw, &status); err != nil || status.Message == "" {
		return fmt.Errorf("%s", raw)
	}
	return &apierrors.StatusError{ErrStatus: status}
}
