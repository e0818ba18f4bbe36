package logs

import (
	"errors"
	"io"
)

// unseenLookback is how far before an otherwise complete tail a stream not
// met yet is looked for: its last record may be the start of an
// unfinished line that belongs at the end. Finding it for certain could
// mean reading the log to its start; an unfinished line whose last record
// lies further back than this is left out of the tail.
const unseenLookback = maxLineBytes

// tailLocator walks a log's records newest first and finds where a tail
// read must start: after it lie the last n kept lines and every record
// those lines are joined from. It counts a line at its full (F) record
// and keeps the stream open until the record before its first partial
// one, i.e. the stream's previous F record.
type tailLocator struct {
	read  *logRead
	n     int64
	count int64
	// flushes: unfinished lines at the end are written as lines (a
	// snapshot read), so they count.
	flushes bool
	seen    [streamCount]bool // the stream's last record was met
	open    [streamCount]bool // a counted line of the stream starts further back

	// part is the index of the file being walked, newest first.
	part int
	// found: the tail is complete from start on; scanned is how much was
	// read before it since.
	found   bool
	start   tailStart
	scanned int64
}

// tailStart is where a tail read starts: an offset in a file.
type tailStart struct {
	part   int // index of the file, newest first
	offset int64
}

func newTailLocator(r *logRead) *tailLocator {
	l := &tailLocator{read: r, n: r.req.Options.TailLines, flushes: !r.req.Options.Follow}
	for s := range streamCount {
		l.seen[s] = !r.req.Options.Stream.includes(s) // never written, never waited for
	}
	return l
}

func (l *tailLocator) complete() bool {
	return l.count >= l.n && !l.open[stdout] && !l.open[stderr]
}

// done reports that reading further back cannot change the tail.
func (l *tailLocator) done() bool {
	return l.found && (l.seen[stdout] && l.seen[stderr] || l.scanned > unseenLookback)
}

// add takes the next record back. It reports whether the tail is complete
// from right after it on, and not before it.
func (l *tailLocator) add(rec record) (startsAfter bool) {
	s := rec.stream
	if !l.read.req.Options.Stream.includes(s) {
		return false
	}
	wasComplete := l.complete()
	switch {
	case rec.partial && !l.seen[s]:
		// The stream's last record is partial: a line still unfinished,
		// written last by a snapshot read, joined later by a follow.
		l.open[s] = true
		if l.flushes && l.keeps(rec) {
			l.count++
		}
	case !rec.partial:
		l.open[s] = false // the open line starts right after this record
		if l.count < l.n && l.keeps(rec) {
			l.count++
			l.open[s] = true
		}
	}
	l.seen[s] = true
	return l.complete() && !wasComplete
}

func (l *tailLocator) keeps(rec record) bool { return !rec.timestamp.Before(l.read.since) }

// scanPlain walks a plain file's records in [0, size) backwards until
// done reports that older files cannot change the tail. Without complete,
// bytes after the last '\n' are a record still being written and are
// skipped.
func (l *tailLocator) scanPlain(file io.ReaderAt, size int64, complete bool) error {
	lines, err := newBackwardLines(file, 0, size, complete)
	if err != nil {
		return err
	}
	if l.complete() && !l.found { // tail 0, nothing open: the end
		l.found, l.start = true, tailStart{l.part, lines.end}
	}
	for !l.done() {
		start, next, head, ok, err := lines.prev()
		if err != nil || !ok {
			return err
		}
		if l.found {
			l.scanned += next - start
		}
		rec, err := parseRecord(head)
		if head == nil || err != nil {
			continue // malformed: a forward read skips it too
		}
		if l.add(rec) {
			l.found, l.start, l.scanned = true, tailStart{l.part, next}, 0
		} else if !l.complete() {
			l.found = false
		}
	}
	return nil
}

// scanCompressed accounts for a compressed file, which can only be read
// forward: it is read whole, so the tail starts at its beginning, and its
// summary tells whether older files are needed. Lines are counted as if
// each kept full record in it were counted, which may read further back
// than needed but never too little.
func (l *tailLocator) scanCompressed(rc io.Reader) error {
	if l.found {
		l.scanned = unseenLookback + 1 // only looking for unseen streams: not worth a whole file
		return nil
	}
	sum, err := summarize(rc, l)
	if err != nil {
		return err
	}
	for s := range streamCount {
		if l.seen[s] || !sum.has[s] {
			continue
		}
		if sum.endsPartial[s] {
			l.open[s] = true
		}
	}
	for s := range streamCount {
		if !l.read.req.Options.Stream.includes(s) || !sum.hasFull[s] {
			continue
		}
		// The file's first full record of s closes the open line; it
		// opens one if it is counted, i.e. fewer than n lines follow it.
		first := sum.firstKept[s]
		l.open[s] = first >= 0 && l.count+sum.kept-1-first < l.n
	}
	for s := range streamCount {
		l.seen[s] = l.seen[s] || sum.has[s]
	}
	l.count += sum.kept
	if l.complete() {
		// Stop here whatever streams were not seen.
		l.found, l.start, l.scanned = true, tailStart{l.part, 0}, unseenLookback+1
	}
	return nil
}

// fileSummary is what a backward walk needs of a file read forward.
type fileSummary struct {
	kept        int64              // kept full records
	firstKept   [streamCount]int64 // index among them of the stream's first full record; -1 if that one is not kept
	has         [streamCount]bool  // the stream has records here
	hasFull     [streamCount]bool  // ... full ones
	endsPartial [streamCount]bool  // the stream's last record here is partial
}

func summarize(rc io.Reader, l *tailLocator) (fileSummary, error) {
	sum := fileSummary{firstKept: [streamCount]int64{-1, -1}}
	lines := newLineReader(rc)
	consume := func(raw []byte) {
		rec, err := parseRecord(raw)
		if err != nil || !l.read.req.Options.Stream.includes(rec.stream) {
			return
		}
		s := rec.stream
		sum.has[s], sum.endsPartial[s] = true, rec.partial
		if rec.partial {
			return
		}
		kept := l.keeps(rec)
		if !sum.hasFull[s] && kept {
			sum.firstKept[s] = sum.kept
		}
		sum.hasFull[s] = true
		if kept {
			sum.kept++
		}
	}
	for {
		raw, err := lines.next()
		switch {
		case errors.Is(err, errRecordTooLong):
		case errors.Is(err, io.EOF):
			if raw := lines.unterminated(); len(raw) > 0 {
				consume(raw)
			}
			return sum, nil
		case err != nil:
			return sum, err
		default:
			consume(raw)
		}
	}
}
