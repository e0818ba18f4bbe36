package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	// defaultCheckInterval is how long Follow waits without new lines before
	// asking whether the container still runs.
	defaultCheckInterval = time.Second
	// rotationSlack covers lines the runtime flushes into a file after it
	// was renamed (until ReopenContainerLog): a rotated file can hold lines
	// slightly newer than its rotation time, so Since keeps it a bit longer.
	rotationSlack = time.Minute
	// ctxCheckLines is how many lines a long read writes between checks
	// of its context.
	ctxCheckLines = 1024
	// defaultRotationSettle covers the runtime's late writes into a file
	// it has just stopped using (seen: ~10 ms on a loaded 2-core machine).
	defaultRotationSettle = 250 * time.Millisecond
)

// Request describes one read of one container instance's log.
type Request struct {
	// Path is the instance's live log file,
	// "<root>/<pod>/<container>/<restartCount>.log"; its rotated files next
	// to it are read too. The pod and container directories may be
	// writable by the container, so they and the files in them are opened
	// without following links, and only regular files are read.
	Path string
	// Options select the part of the log to return.
	Options Options
	// Running reports whether the instance still runs; Follow ends once it
	// reports false or fails. Nil means the instance has stopped.
	Running func(ctx context.Context) (bool, error)
	// CheckInterval is how long Follow waits without new lines before it
	// asks Running again; 0 means one second.
	CheckInterval time.Duration
	// RotationSettle is how long Follow keeps reading a rotated file after
	// the runtime started writing the new one, until the old one stops
	// growing; 0 means 250 ms. containerd writes lines it had already read
	// from the container into the old file after the swap.
	RotationSettle time.Duration
	// Prefix is written before every line, e.g. "[pod/container] ".
	Prefix string
	// Unterminated leaves the newline out after partial records no full
	// record ended (echo -n, then exit), as the kubelet's termination
	// message from the log does: "DONE", not "DONE\n". Reads for people
	// end every line.
	Unterminated bool
	// Logger receives follow diagnostics; nil discards them.
	Logger *slog.Logger
}

// Stats describe what a read returned.
type Stats struct {
	// Lines and Bytes count what was written to the client.
	Lines int64
	Bytes int64
	// Malformed counts records skipped because they were not CRI log lines.
	Malformed int64
	// Truncated reports that Options.LimitBytes cut the output short.
	Truncated bool
}

// ReadLogs writes one container instance's log to w as whole lines (partial
// records joined), honouring req.Options. If w has a Flush method it is
// called whenever the reader has caught up, so followers see each line at
// once. A read ended by the byte limit is not an error; a read ended by ctx
// returns ctx's error.
func ReadLogs(ctx context.Context, req Request, w io.Writer) (Stats, error) {
	if err := req.Options.Validate(); err != nil {
		return Stats{}, fmt.Errorf("invalid log options: %w", err)
	}
	r := &logRead{
		req:   req,
		since: req.Options.sinceAt(time.Now()),
		out:   newSink(w, req.Options, req.Prefix, req.Unterminated),
	}
	if r.req.Logger == nil {
		r.req.Logger = slog.New(slog.DiscardHandler)
	}
	err := r.run(ctx)
	stats := Stats{Lines: r.out.lines, Bytes: r.out.bytes, Malformed: r.malformed}
	if r.scanner != nil {
		stats.Malformed += r.scanner.malformed
	}
	if errors.Is(err, errLimitReached) {
		stats.Truncated, err = true, r.out.flush()
	}
	return stats, err
}

// logRead is the state of one ReadLogs call.
type logRead struct {
	req   Request
	since time.Time
	out   *sink
	// dir is the log's directory; every file is opened through it.
	dir *dirHandle
	// countOnly counts kept lines without writing them; skip is how many
	// kept lines to drop before writing (a tail's surplus).
	countOnly bool
	skip      int64
	// scanner reads the file the read is positioned in; its assembler
	// holds unfinished partial lines across file switches.
	scanner   *logScanner
	malformed int64 // from scanners already discarded
	emitted   int64
}

func (r *logRead) settle() time.Duration {
	if r.req.RotationSettle > 0 {
		return r.req.RotationSettle
	}
	return defaultRotationSettle
}

// keep applies the stream and since filters.
func (r *logRead) keep(line logLine) bool {
	return r.req.Options.Stream.includes(line.stream) && !line.timestamp.Before(r.since)
}

func (r *logRead) emit(ctx context.Context, line logLine) error {
	if !r.keep(line) {
		return nil
	}
	r.emitted++
	if r.emitted%ctxCheckLines == 0 && ctx.Err() != nil {
		return ctx.Err()
	}
	if r.countOnly {
		return nil
	}
	if r.skip > 0 {
		r.skip--
		return nil
	}
	return r.out.write(line)
}

func (r *logRead) run(ctx context.Context) error {
	dir, err := openLogDir(filepath.Dir(r.req.Path))
	if err != nil {
		return fmt.Errorf("opening log of %s: %w", r.req.Path, err)
	}
	defer dir.close()
	r.dir = dir
	snap, err := r.openSnapshot()
	if err != nil {
		return err
	}
	defer snap.close()
	rotated := r.dropBeforeSince(snap.rotated)
	var cursorAt time.Time
	if r.req.Options.Follow {
		// The runtime may still write into the newest rotated file, so a
		// follower starts there and switches as after any rotation.
		rotated, cursorAt = snap.startAtNewestRotated(dir, rotated, r.settle())
		if snap.live == nil && len(snap.rotated) > 0 {
			// Every rotated file is read; later ones are new.
			cursorAt = snap.rotated[len(snap.rotated)-1].rotatedAt
		}
	}
	if r.req.Options.Tail {
		err = r.readTail(ctx, rotated, snap.live)
	} else {
		err = r.readForward(ctx, rotated, snap.live)
	}
	if err != nil {
		return err
	}
	if !r.req.Options.Follow {
		return r.finish(ctx)
	}
	f, err := newFollower(r, snap.takeLive(), cursorAt)
	if err != nil {
		return err
	}
	defer f.close()
	return f.run(ctx)
}

// dropBeforeSince skips rotated files that only hold lines older than Since.
func (r *logRead) dropBeforeSince(files []rotatedFile) []rotatedFile {
	for len(files) > 0 && files[0].rotatedAt.Add(rotationSlack).Before(r.since) {
		files = files[1:]
	}
	return files
}

// readForward writes every kept line of the rotated files and the live file
// in order.
func (r *logRead) readForward(ctx context.Context, rotated []rotatedFile, live *os.File) error {
	parts := make([]tailPart, 0, len(rotated)+1)
	for _, file := range rotated {
		parts = append(parts, tailPart{file: file, to: -1})
	}
	if live != nil {
		parts = append(parts, tailPart{live: true, to: -1})
	}
	return r.readParts(ctx, parts, live, false)
}

// readRotated writes a complete rotated file's part through the scanner.
// A file pruned meanwhile is skipped, and so is one a container put there.
func (r *logRead) readRotated(ctx context.Context, part tailPart) error {
	rc, err := r.openRange(part)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.req.Logger.Warn("rotated log removed before it was read", "file", r.dir.name(part.file.stem))
		return nil
	case errors.Is(err, errNotRegular):
		r.req.Logger.Warn("skipping a link or special file named like a rotated log", "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("opening rotated log: %w", err)
	}
	defer func() {
		rc.Close()
		r.scanner.lines.reset(strings.NewReader("")) // never read a closed file
	}()
	r.scanner.lines.reset(rc)
	if err := r.pump(ctx); err != nil {
		return err
	}
	return r.endOfFile(ctx)
}

// pump writes lines until the scanner's data is used up.
func (r *logRead) pump(ctx context.Context) error {
	for {
		line, err := r.scanner.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading log %s: %w", r.req.Path, err)
		}
		if err := r.emit(ctx, line); err != nil {
			return err
		}
	}
}

// endOfFile writes an unterminated last record of a complete file.
func (r *logRead) endOfFile(ctx context.Context) error {
	if line, ok := r.scanner.endOfFile(); ok {
		return r.emit(ctx, line)
	}
	return nil
}

// finish ends a read: no more records will come, so unfinished partial
// lines are written as they are.
func (r *logRead) finish(ctx context.Context) error {
	if r.scanner != nil {
		if err := r.endOfFile(ctx); err != nil {
			return err
		}
		for _, line := range r.scanner.asm.flush() {
			if err := r.emit(ctx, line); err != nil {
				return err
			}
		}
	}
	return r.out.flush()
}

// snapshot is the set of files a read starts from.
type snapshot struct {
	live    *os.File // nil if the live file does not exist (yet)
	rotated []rotatedFile
}

// openSnapshot opens the live file before listing rotated files: a rotation
// in between then shows the same file twice (dropped by identity) rather
// than losing the file that was live. A link or special file in place of
// the live file is not read.
func (r *logRead) openSnapshot() (*snapshot, error) {
	snap := &snapshot{}
	live := filepath.Base(r.req.Path)
	file, err := r.dir.open(live)
	switch {
	case err == nil:
		snap.live = file
	case errors.Is(err, errNotRegular):
		r.req.Logger.Warn("not reading a link or special file in place of a container log", "err", err)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("opening log: %w", err)
	}
	rotated, err := listRotated(r.dir, live)
	if err != nil {
		snap.close()
		return nil, err
	}
	snap.rotated = withoutFile(r.dir, rotated, snap.live)
	if snap.live == nil && len(snap.rotated) == 0 {
		return nil, fmt.Errorf("log file %s: %w", r.req.Path, fs.ErrNotExist)
	}
	return snap, nil
}

// withoutFile drops the plain rotated file that is the same file as f.
func withoutFile(dir *dirHandle, files []rotatedFile, f *os.File) []rotatedFile {
	if f == nil {
		return files
	}
	info, err := statFile(f)
	if err != nil {
		return files
	}
	kept := files[:0:0]
	for _, file := range files {
		if other, err := dir.stat(file.stem); file.compressed || err != nil || !info.sameFile(other) {
			kept = append(kept, file)
		}
	}
	return kept
}

// startAtNewestRotated makes the newest rotated file the read's live file
// when the runtime may still be writing into it: the real live file is
// missing or empty, or the rotated one changed within the settle period.
// It returns the other rotated files and the new cursor's rotation time.
func (s *snapshot) startAtNewestRotated(dir *dirHandle, rotated []rotatedFile, settle time.Duration) ([]rotatedFile, time.Time) {
	if len(rotated) == 0 || rotated[len(rotated)-1].compressed {
		return rotated, time.Time{}
	}
	newest := rotated[len(rotated)-1]
	file, err := dir.open(newest.stem)
	if err != nil {
		return rotated, time.Time{}
	}
	if s.live != nil && !recentlyWritten(file, settle) {
		if info, err := s.live.Stat(); err != nil || info.Size() > 0 {
			file.Close()
			return rotated, time.Time{}
		}
	}
	s.close()
	s.live = file
	return rotated[:len(rotated)-1], newest.rotatedAt
}

// takeLive hands the live file to the caller, who then closes it.
func (s *snapshot) takeLive() *os.File {
	live := s.live
	s.live = nil
	return live
}

func (s *snapshot) close() {
	if s.live != nil {
		s.live.Close()
		s.live = nil
	}
}

func recentlyWritten(f *os.File, within time.Duration) bool {
	info, err := f.Stat()
	return err == nil && time.Since(info.ModTime()) < within
}
