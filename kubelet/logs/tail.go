package logs

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// fileTail is what a tail read keeps of one file.
type fileTail struct {
	// lines are the file's last kept lines, oldest first; the first line
	// of each stream is headless.
	lines []logLine
	// trailing holds, per stream, an unfinished line at the end of a
	// rotated file: it is the start of a headless line in a newer file.
	trailing    [streamCount]logLine
	hasTrailing [streamCount]bool
	// completed records which streams have a whole line in the file.
	completed [streamCount]bool
}

// readTail writes the last TailLines kept lines. It reads files newest
// first, keeping at most TailLines lines of each, and opens an older file
// only while lines are missing or a kept line may begin in it.
func (r *logRead) readTail(ctx context.Context, rotated []rotatedFile, live *os.File) error {
	n := r.req.Options.TailLines
	following := r.req.Options.Follow
	var liveReader io.Reader = strings.NewReader("")
	if live != nil {
		liveReader = live
	}
	r.scanner = newLogScanner(liveReader)
	window, err := r.collectTail(r.scanner, n, !following, !following)
	if err != nil {
		return err
	}
	var liveAsm *assembler
	if following {
		liveAsm = &r.scanner.asm
	}
	for i := len(rotated) - 1; i >= 0 && window.needsOlder(n, liveAsm); i-- {
		older, err := r.tailRotated(rotated[i], max(0, n-int64(len(window.lines))))
		if err != nil {
			return err
		}
		window.mergeOlder(older, n, liveAsm)
	}
	for _, line := range window.lines {
		if err := r.out.write(line); err != nil {
			return err
		}
	}
	return r.out.flush()
}

// tailRotated collects the tail of one complete rotated file.
func (r *logRead) tailRotated(file rotatedFile, n int64) (fileTail, error) {
	rc, err := openRotated(file)
	if errors.Is(err, fs.ErrNotExist) {
		r.req.Logger.Warn("rotated log removed before it was read", "file", file.stem)
		return fileTail{}, nil
	}
	if err != nil {
		return fileTail{}, err
	}
	defer rc.Close()
	scanner := newLogScanner(rc)
	tail, err := r.collectTail(scanner, n, true, false)
	r.malformed += scanner.malformed
	if err != nil {
		return fileTail{}, err
	}
	for s := range streamCount {
		if scanner.asm.hasPending[s] {
			tail.trailing[s], tail.hasTrailing[s] = scanner.asm.takePending(s), true
		}
	}
	return tail, nil
}

// collectTail scans to the end of the scanner's data keeping the last n
// kept lines. A complete file's unterminated last record is parsed too.
// With flushPending (a snapshot read of the live file) unfinished lines
// count as lines, as no more of them will be read.
func (r *logRead) collectTail(scanner *logScanner, n int64, complete, flushPending bool) (fileTail, error) {
	ring := lineRing{limit: n}
	push := func(line logLine) {
		if r.keep(line) {
			ring.push(line)
		}
	}
	for {
		line, err := scanner.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fileTail{}, err
		}
		push(line)
	}
	var tail fileTail
	if complete {
		if line, ok := scanner.endOfFile(); ok {
			push(line)
		}
	}
	if flushPending {
		for _, line := range scanner.asm.flush() {
			push(line)
		}
	}
	tail.completed = scanner.asm.completed
	tail.lines = ring.ordered()
	return tail, nil
}

// needsOlder reports whether the window may still change by reading an
// older file: lines are missing, a kept line may start there, or the live
// file's unfinished line may.
func (w *fileTail) needsOlder(n int64, liveAsm *assembler) bool {
	if int64(len(w.lines)) < n || slices.ContainsFunc(w.lines, func(l logLine) bool { return l.headless }) {
		return true
	}
	if liveAsm != nil {
		for s := range streamCount {
			if !w.completed[s] && liveAsm.hasPending[s] {
				return true
			}
		}
	}
	return false
}

// mergeOlder puts the older file's lines before the window's, gives each
// headless line the unfinished line the older file ended with, and keeps
// the last n lines.
func (w *fileTail) mergeOlder(older fileTail, n int64, liveAsm *assembler) {
	for s := range streamCount {
		if !older.hasTrailing[s] {
			continue
		}
		start := older.trailing[s]
		if !w.completed[s] {
			if liveAsm != nil {
				liveAsm.prependPending(s, start)
			}
			continue
		}
		if i := slices.IndexFunc(w.lines, func(l logLine) bool { return l.stream == s }); i >= 0 && w.lines[i].headless {
			w.lines[i].message = append(start.message, w.lines[i].message...)
		}
	}
	for i := range w.lines {
		if older.completed[w.lines[i].stream] {
			w.lines[i].headless = false
		}
	}
	for s := range streamCount {
		w.completed[s] = w.completed[s] || older.completed[s]
	}
	w.lines = append(older.lines, w.lines...)
	if excess := int64(len(w.lines)) - n; excess > 0 {
		w.lines = w.lines[excess:]
	}
}

// prependPending puts the start of a line, found in an older file, before
// the stream's unfinished line.
func (a *assembler) prependPending(s streamID, start logLine) {
	if !a.hasPending[s] {
		a.pendingAt[s] = start.timestamp
	}
	a.pending[s] = append(slices.Clone(start.message), a.pending[s]...)
	a.hasPending[s] = true
}

// lineRing keeps the last limit lines pushed, reusing message buffers.
type lineRing struct {
	limit int64
	lines []logLine
	next  int // slot to overwrite once full
}

func (r *lineRing) push(line logLine) {
	if r.limit <= 0 {
		return
	}
	if int64(len(r.lines)) < r.limit {
		r.lines = append(r.lines, line.clone())
		return
	}
	slot := &r.lines[r.next]
	buf := append(slot.message[:0], line.message...)
	*slot = line
	slot.message = buf
	r.next = (r.next + 1) % len(r.lines)
}

// ordered returns the kept lines oldest first.
func (r *lineRing) ordered() []logLine {
	return slices.Concat(r.lines[r.next:], r.lines[:r.next])
}
