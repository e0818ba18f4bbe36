package logs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Stream selects which container output stream(s) a read returns.
type Stream string

const (
	// StreamAll returns stdout and stderr interleaved as written.
	StreamAll Stream = "all"
	// StreamStdout returns only the container's standard output.
	StreamStdout Stream = "stdout"
	// StreamStderr returns only the container's standard error.
	StreamStderr Stream = "stderr"
)

// ParseStream turns user input ("stdout", "Stderr", "all", "") into a
// Stream; the empty string means StreamAll.
func ParseStream(s string) (Stream, error) {
	switch strings.ToLower(s) {
	case "", string(StreamAll):
		return StreamAll, nil
	case string(StreamStdout):
		return StreamStdout, nil
	case string(StreamStderr):
		return StreamStderr, nil
	}
	return "", fmt.Errorf("unknown stream %q: use stdout, stderr or all", s)
}

// includes reports whether lines of stream id pass this selection.
func (s Stream) includes(id streamID) bool {
	switch s {
	case StreamStdout:
		return id == stdout
	case StreamStderr:
		return id == stderr
	}
	return true
}

// streamID indexes per-stream state; only two streams exist in the format.
type streamID uint8

const (
	stdout streamID = iota
	stderr
	streamCount
)

// record is one physical line of a CRI log file. message aliases the buffer
// the line was read into.
type record struct {
	timestamp time.Time
	stream    streamID
	partial   bool
	message   []byte
}

var errMalformed = errors.New("malformed CRI log line")

// parseRecord parses "<RFC3339Nano> <stdout|stderr> <tags> <message>" where
// the first ':'-separated tag is P (partial) or F (full). The CRI allows more
// tags after the first, so they are ignored rather than rejected.
func parseRecord(line []byte) (record, error) {
	var rec record
	tsField, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return rec, fmt.Errorf("%w: no timestamp field", errMalformed)
	}
	ts, err := time.Parse(time.RFC3339Nano, string(tsField))
	if err != nil {
		return rec, fmt.Errorf("%w: bad timestamp %q", errMalformed, tsField)
	}
	rec.timestamp = ts
	streamField, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return rec, fmt.Errorf("%w: no tag field", errMalformed)
	}
	switch string(streamField) {
	case "stdout":
		rec.stream = stdout
	case "stderr":
		rec.stream = stderr
	default:
		return rec, fmt.Errorf("%w: unknown stream %q", errMalformed, streamField)
	}
	// A full line with an empty message may be written without the final space.
	tagField, message, _ := bytes.Cut(rest, []byte{' '})
	firstTag, _, _ := bytes.Cut(tagField, []byte{':'})
	switch string(firstTag) {
	case "F":
	case "P":
		rec.partial = true
	default:
		return rec, fmt.Errorf("%w: unknown tag %q", errMalformed, tagField)
	}
	rec.message = message
	return rec, nil
}
