package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
)

// tailPart is one file of a read and the range of it to read.
type tailPart struct {
	file rotatedFile // the rotated file, unless live
	live bool
	from int64
	// to ends the range; -1 reads to the end. A tail read fixes it at the
	// size the file had when located, so both passes see the same bytes.
	to int64
}

// readTail writes the last TailLines kept lines holding a few blocks of
// memory whatever the log's size: it walks the files backwards to where
// those lines begin (tailLocator), counts the lines from there on, and
// writes them skipping the surplus. A follow then goes on from the end.
func (r *logRead) readTail(ctx context.Context, rotated []rotatedFile, live *os.File) error {
	n := r.req.Options.TailLines
	if n == 0 && !r.req.Options.Follow {
		return r.out.flush()
	}
	parts, err := r.locateTail(rotated, live)
	if err != nil {
		return err
	}
	total, err := r.countLines(ctx, parts, live)
	if err != nil {
		return err
	}
	r.skip = max(0, total-n)
	return r.readParts(ctx, parts, live, !r.req.Options.Follow)
}

// locateTail returns the parts of the files a tail read covers, oldest
// first.
func (r *logRead) locateTail(rotated []rotatedFile, live *os.File) ([]tailPart, error) {
	loc := newTailLocator(r)
	var parts []tailPart // newest first until reversed
	if live != nil {
		info, err := live.Stat()
		if err != nil {
			return nil, fmt.Errorf("inspecting log %s: %w", live.Name(), err)
		}
		parts = append(parts, tailPart{live: true, to: info.Size()})
		if err := loc.scanPlain(live, info.Size(), !r.req.Options.Follow); err != nil {
			return nil, fmt.Errorf("reading log %s backwards: %w", live.Name(), err)
		}
	}
	for i := len(rotated) - 1; i >= 0 && !loc.done(); i-- {
		loc.part = len(parts)
		part, err := r.locateInRotated(loc, rotated[i])
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotRegular) {
			continue // pruned meanwhile, or planted: readRotated says so
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}
	if loc.found {
		parts = parts[:loc.start.part+1]
		parts[loc.start.part].from = loc.start.offset
	}
	slices.Reverse(parts)
	return parts, nil
}

// locateInRotated walks one rotated file backwards: a plain one block by
// block, a compressed one whole.
func (r *logRead) locateInRotated(loc *tailLocator, file rotatedFile) (tailPart, error) {
	rc, err := openRotated(r.dir, file)
	if err != nil {
		return tailPart{}, err
	}
	defer rc.Close()
	part := tailPart{file: file, to: -1}
	if plain, ok := rc.(*os.File); ok {
		info, err := plain.Stat()
		if err != nil {
			return part, fmt.Errorf("inspecting log %s: %w", plain.Name(), err)
		}
		part.to = info.Size()
		err = loc.scanPlain(plain, part.to, true)
		return part, wrapRead(plain.Name(), err)
	}
	return part, wrapRead(r.dir.name(file.path()), loc.scanCompressed(rc))
}

func wrapRead(name string, err error) error {
	if err != nil {
		return fmt.Errorf("reading log %s backwards: %w", name, err)
	}
	return nil
}

// countLines counts the lines a read of parts writes, without writing.
func (r *logRead) countLines(ctx context.Context, parts []tailPart, live *os.File) (int64, error) {
	counter := &logRead{req: r.req, since: r.since, dir: r.dir, out: newSink(io.Discard, Options{}, "", false), countOnly: true}
	if err := counter.readParts(ctx, parts, live, true); err != nil {
		return 0, err
	}
	if !r.req.Options.Follow {
		if err := counter.finish(ctx); err != nil {
			return 0, err
		}
	}
	return counter.emitted, nil
}

// readParts writes every kept line of parts in order; one scanner spans
// them so lines split by a rotation are joined. bounded reads the live
// file only within its part; otherwise a follow reads on from the file's
// own offset.
func (r *logRead) readParts(ctx context.Context, parts []tailPart, live *os.File, bounded bool) error {
	r.scanner = newLogScanner(nil)
	for _, part := range parts {
		if !part.live {
			if err := r.readRotated(ctx, part); err != nil {
				return err
			}
			continue
		}
		reader, err := liveRange(live, part, bounded)
		if err != nil {
			return err
		}
		r.scanner.lines.reset(reader)
		if err := r.pump(ctx); err != nil {
			return err
		}
	}
	return r.out.flush()
}

func liveRange(live *os.File, part tailPart, bounded bool) (io.Reader, error) {
	if bounded && part.to >= 0 {
		return io.NewSectionReader(live, part.from, part.to-part.from), nil
	}
	if _, err := live.Seek(part.from, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading log %s: %w", live.Name(), err)
	}
	return live, nil
}

// openRange opens a rotated file's part positioned at its start.
func (r *logRead) openRange(part tailPart) (io.ReadCloser, error) {
	rc, err := openRotated(r.dir, part.file)
	if err != nil {
		return nil, err
	}
	if seeker, ok := rc.(io.Seeker); ok {
		_, err = seeker.Seek(part.from, io.SeekStart)
	} else {
		// Compressed since it was located: skip the same bytes.
		_, err = io.CopyN(io.Discard, rc, part.from)
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("reading log %s: %w", r.dir.name(part.file.path()), err)
	}
	if part.to < 0 {
		return rc, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, part.to-part.from), rc}, nil
}
