package logs

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"time"
)

const (
	// maxRecordBytes bounds one physical line. Runtimes split output into
	// records of at most 16 KiB, so anything far larger is corruption and is
	// skipped instead of being buffered without limit.
	maxRecordBytes = 1 << 20
	// maxLineBytes bounds a line joined from partial records, so a process
	// that never writes a newline cannot make a reader hold its whole output;
	// longer lines are emitted in pieces of this size.
	maxLineBytes    = 1 << 20
	readBufferBytes = 64 << 10
)

var errRecordTooLong = errors.New("CRI log record longer than 1 MiB")

// lineReader splits a growing file into '\n'-terminated lines. At EOF it
// keeps an unterminated tail, so a record the runtime is still writing is
// completed by the next read instead of being parsed half-written.
type lineReader struct {
	buffered *bufio.Reader
	carry    []byte // start of a line longer than the buffer, or unterminated tail
	skipping bool   // inside an oversized line: drop bytes until its '\n'
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{buffered: bufio.NewReaderSize(r, readBufferBytes)}
}

// reset switches to another file, forgetting any unterminated tail.
func (lr *lineReader) reset(r io.Reader) {
	lr.buffered.Reset(r)
	lr.carry = lr.carry[:0]
	lr.skipping = false
}

// next returns the next line without its '\n'; the slice is valid until the
// next call. It returns io.EOF when no complete line is available yet.
func (lr *lineReader) next() ([]byte, error) {
	for {
		chunk, err := lr.buffered.ReadSlice('\n')
		switch {
		case err == nil:
			if lr.skipping || len(lr.carry)+len(chunk) > maxRecordBytes+1 {
				lr.carry, lr.skipping = lr.carry[:0], false
				return nil, errRecordTooLong
			}
			chunk = chunk[:len(chunk)-1]
			if len(lr.carry) == 0 {
				return chunk, nil
			}
			line := append(lr.carry, chunk...)
			lr.carry = lr.carry[:0]
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull) || errors.Is(err, io.EOF):
			if !lr.skipping {
				lr.carry = append(lr.carry, chunk...)
			}
			if len(lr.carry) > maxRecordBytes {
				lr.carry, lr.skipping = lr.carry[:0], true
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				return nil, err
			}
		default:
			return nil, err
		}
	}
}

// unterminated returns and forgets the bytes after the last '\n'; callers
// use it once a file is known to be complete.
func (lr *lineReader) unterminated() []byte {
	tail := lr.carry
	lr.carry = lr.carry[:0]
	lr.skipping = false
	return tail
}

// logLine is one whole log line: partial records joined, stream kept.
type logLine struct {
	// timestamp is the time of the line's final record, i.e. when the
	// line was complete; lines are ordered and filtered by it.
	timestamp time.Time
	stream    streamID
	message   []byte
	// headless marks the first line of its stream in a file sequence: its
	// start may be partial records at the end of an older file.
	headless bool
	// unterminated marks partial records no full record ended: the
	// process wrote no newline (echo -n, then exit), or the line was cut
	// at maxLineBytes. It is written without a newline, as the kubelet
	// writes partial records.
	unterminated bool
}

// clone returns a copy whose message no longer aliases a read buffer.
func (l logLine) clone() logLine {
	l.message = slices.Clone(l.message)
	return l
}

// assembler joins partial (P) records with the full (F) record that ends
// them, per stream, because stdout and stderr records interleave.
type assembler struct {
	pending    [streamCount][]byte
	pendingAt  [streamCount]time.Time
	hasPending [streamCount]bool
	completed  [streamCount]bool
}

// add consumes one record and returns a line when the record completes one.
// The line's message is valid until the next call.
func (a *assembler) add(rec record) (logLine, bool) {
	s := rec.stream
	if rec.partial {
		if a.hasPending[s] && len(a.pending[s])+len(rec.message) > maxLineBytes {
			full := a.takePending(s)
			a.startPending(s, rec, nil)
			return full, true
		}
		a.startPending(s, rec, a.pending[s])
		return logLine{}, false
	}
	line := logLine{timestamp: rec.timestamp, stream: s, message: rec.message, headless: !a.completed[s]}
	a.completed[s] = true
	if a.hasPending[s] {
		a.hasPending[s] = false
		a.pending[s] = append(a.pending[s], rec.message...)
		line.message = a.pending[s]
		a.pending[s] = a.pending[s][:0]
	}
	return line, true
}

func (a *assembler) startPending(s streamID, rec record, buf []byte) {
	a.pending[s] = append(buf, rec.message...)
	a.pendingAt[s] = rec.timestamp
	a.hasPending[s] = true
}

// takePending returns the stream's unfinished line as a line of its own,
// in a fresh buffer so the caller may keep it.
func (a *assembler) takePending(s streamID) logLine {
	line := logLine{timestamp: a.pendingAt[s], stream: s, message: slices.Clone(a.pending[s]), headless: !a.completed[s], unterminated: true}
	a.completed[s] = true
	a.hasPending[s] = false
	a.pending[s] = a.pending[s][:0]
	return line
}

// flush returns every unfinished line, oldest first, for when no more
// records will come (the container stopped or a snapshot read ended).
func (a *assembler) flush() []logLine {
	var lines []logLine
	for s := range streamCount {
		if a.hasPending[s] {
			lines = append(lines, a.takePending(s))
		}
	}
	slices.SortStableFunc(lines, func(x, y logLine) int { return x.timestamp.Compare(y.timestamp) })
	return lines
}

// logScanner turns the bytes of one or more consecutive log files into whole
// lines, skipping and counting malformed records.
type logScanner struct {
	lines     *lineReader
	asm       assembler
	malformed int64
	// records counts physical lines consumed, so a follower can tell that
	// a file still grows even when every new line is filtered out.
	records int64
}

func newLogScanner(r io.Reader) *logScanner {
	return &logScanner{lines: newLineReader(r)}
}

// next returns the next whole line, or io.EOF when the data read so far is
// used up (a growing file may provide more later). The line's message is
// valid until the next call.
func (s *logScanner) next() (logLine, error) {
	for {
		raw, err := s.lines.next()
		if errors.Is(err, errRecordTooLong) {
			s.records++
			s.malformed++
			continue
		}
		if err != nil {
			return logLine{}, err
		}
		if line, ok := s.consume(raw); ok {
			return line, nil
		}
	}
}

// endOfFile parses an unterminated last record of a file known complete.
func (s *logScanner) endOfFile() (logLine, bool) {
	raw := s.lines.unterminated()
	if len(raw) == 0 {
		return logLine{}, false
	}
	return s.consume(raw)
}

func (s *logScanner) consume(raw []byte) (logLine, bool) {
	s.records++
	rec, err := parseRecord(raw)
	if err != nil {
		s.malformed++
		return logLine{}, false
	}
	return s.asm.add(rec)
}
