package logs

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// errLimitReached ends a read once LimitBytes of output were written.
var errLimitReached = errors.New("limitBytes reached")

// sink formats whole lines for the reader of the log and enforces the byte
// limit. Each line goes out in a single Write so concurrent sinks sharing a
// synchronised writer never interleave inside a line.
type sink struct {
	out        io.Writer
	flushOut   func() error
	timestamps bool
	prefix     []byte
	remaining  int64 // bytes still allowed; negative means unlimited
	// unterminated leaves the newline out after an unterminated line.
	unterminated bool
	buf          []byte
	lines        int64
	bytes        int64
}

func newSink(w io.Writer, opts Options, prefix string, unterminated bool) *sink {
	s := &sink{out: w, timestamps: opts.Timestamps, prefix: []byte(prefix), remaining: -1, unterminated: unterminated}
	if opts.LimitBytes > 0 {
		s.remaining = opts.LimitBytes
	}
	switch f := w.(type) {
	case interface{ Flush() error }:
		s.flushOut = f.Flush
	case interface{ Flush() }:
		s.flushOut = func() error { f.Flush(); return nil }
	}
	return s
}

// write outputs one line; it returns errLimitReached once the byte limit is
// used up, after writing the part of the line that still fits.
func (s *sink) write(line logLine) error {
	if s.remaining == 0 {
		return errLimitReached
	}
	s.buf = append(s.buf[:0], s.prefix...)
	if s.timestamps {
		s.buf = line.timestamp.AppendFormat(s.buf, time.RFC3339Nano)
		s.buf = append(s.buf, ' ')
	}
	s.buf = append(s.buf, line.message...)
	if !line.unterminated || !s.unterminated {
		s.buf = append(s.buf, '\n')
	}
	out := s.buf
	if s.remaining > 0 && int64(len(out)) > s.remaining {
		out = out[:s.remaining]
	}
	n, err := s.out.Write(out)
	s.bytes += int64(n)
	s.lines++
	if err != nil {
		return fmt.Errorf("writing log line: %w", err)
	}
	if s.remaining > 0 {
		s.remaining -= int64(n)
		if s.remaining == 0 {
			return errLimitReached
		}
	}
	return nil
}

// flush pushes written lines to the client when the writer buffers (HTTP).
func (s *sink) flush() error {
	if s.flushOut == nil {
		return nil
	}
	if err := s.flushOut(); err != nil {
		return fmt.Errorf("flushing log output: %w", err)
	}
	return nil
}
