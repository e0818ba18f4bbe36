package logs

import (
	"bytes"
	"io"
)

// headerBytes is how much of a record a backward scan reads: the time,
// stream and tags, which fit well within it; the message is not needed.
const headerBytes = 128

// backwardLines returns the lines of a byte range of a file last first,
// reading it in blocks from the end. Only each line's start is read, so a
// long line costs time, not memory.
type backwardLines struct {
	file    io.ReaderAt
	from    int64  // start of the range
	end     int64  // the next line returned ends here, its '\n' included
	block   []byte // the file's bytes at blockAt
	blockAt int64
	buf     []byte // backing store of block
	head    [headerBytes]byte
}

// newBackwardLines reads the lines of file in [from, size). Without
// complete, bytes after the last '\n' are a record the runtime is still
// writing and are skipped; with it they are the file's last record.
func newBackwardLines(file io.ReaderAt, from, size int64, complete bool) (*backwardLines, error) {
	b := &backwardLines{file: file, from: from, end: size, buf: make([]byte, readBufferBytes)}
	if !complete {
		nl, err := b.lastNewline(size)
		if err != nil {
			return nil, err
		}
		b.end = max(from, nl+1)
	}
	return b, nil
}

// prev returns the previous line: where it starts, where the line after it
// starts, and its first headerBytes bytes without the '\n'. ok is false at
// the start of the range.
func (b *backwardLines) prev() (start, next int64, head []byte, ok bool, err error) {
	if b.end <= b.from {
		return 0, 0, nil, false, nil
	}
	next = b.end
	contentEnd := next
	if last, err := b.byteAt(next - 1); err != nil {
		return 0, 0, nil, false, err
	} else if last == '\n' {
		contentEnd--
	}
	nl, err := b.lastNewline(contentEnd)
	if err != nil {
		return 0, 0, nil, false, err
	}
	start = max(b.from, nl+1)
	b.end = start
	if contentEnd-start > maxRecordBytes {
		return start, next, nil, true, nil // skipped as malformed, as a forward read does
	}
	head, err = b.read(start, min(contentEnd, start+headerBytes))
	return start, next, head, true, err
}

// lastNewline returns the offset of the last '\n' in [from, before), or
// from-1 if there is none.
func (b *backwardLines) lastNewline(before int64) (int64, error) {
	for pos := before; pos > b.from; {
		if pos <= b.blockAt || pos > b.blockAt+int64(len(b.block)) {
			if err := b.load(pos); err != nil {
				return 0, err
			}
		}
		if i := bytes.LastIndexByte(b.block[:pos-b.blockAt], '\n'); i >= 0 {
			return b.blockAt + int64(i), nil
		}
		pos = b.blockAt
	}
	return b.from - 1, nil
}

// load reads the block that ends at end.
func (b *backwardLines) load(end int64) error {
	start := max(b.from, end-int64(len(b.buf)))
	n, err := b.file.ReadAt(b.buf[:end-start], start)
	if n < int(end-start) {
		return cmpErr(err, io.ErrUnexpectedEOF)
	}
	b.block, b.blockAt = b.buf[:n], start
	return nil
}

func (b *backwardLines) byteAt(off int64) (byte, error) {
	data, err := b.read(off, off+1)
	if err != nil {
		return 0, err
	}
	return data[0], nil
}

// read returns the bytes [start, end), end-start <= headerBytes, from the
// block when it holds them.
func (b *backwardLines) read(start, end int64) ([]byte, error) {
	if start >= b.blockAt && end <= b.blockAt+int64(len(b.block)) {
		return b.block[start-b.blockAt : end-b.blockAt], nil
	}
	n, err := b.file.ReadAt(b.head[:end-start], start)
	if n < int(end-start) {
		return nil, cmpErr(err, io.ErrUnexpectedEOF)
	}
	return b.head[:n], nil
}

// cmpErr returns err unless it is nil or io.EOF, else fallback: a short
// read of a range known to exist means the file shrank.
func cmpErr(err, fallback error) error {
	if err != nil && err != io.EOF {
		return err
	}
	return fallback
}
