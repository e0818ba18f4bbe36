package logs

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
)

// identifyPrefixBytes is how much of a compressed file's start must equal
// cur's for the two to be taken as the same log file.
const identifyPrefixBytes = 4096

// identifyCursor records cur's rotation time once cur was renamed away from
// the live path, found among plain rotated files by file identity. Called
// after every batch, it usually finds cur before the rotator compresses it.
func (f *follower) identifyCursor() {
	if f.cur == nil || !f.curAt.IsZero() {
		return
	}
	if info, err := f.read.dir.stat(f.live); err == nil && info.sameFile(*f.curInfo) {
		return
	}
	rotated, err := listRotated(f.read.dir, f.live)
	if err != nil {
		return
	}
	for i := len(rotated) - 1; i >= 0; i-- {
		if f.isCursor(rotated[i]) {
			f.curAt = rotated[i].rotatedAt
			return
		}
	}
}

func (f *follower) isCursor(file rotatedFile) bool {
	if file.compressed || f.curInfo == nil {
		return false
	}
	info, err := f.read.dir.stat(file.stem)
	return err == nil && info.sameFile(*f.curInfo)
}

// identifyCompressedCursor finds cur among compressed rotated files when a
// follower fell so far behind that cur was renamed and compressed before
// it looked: the .gz whose recorded length and first bytes equal cur's.
func (f *follower) identifyCompressedCursor() {
	if f.cur == nil || !f.curAt.IsZero() {
		return
	}
	if info, err := f.read.dir.stat(f.live); err == nil && info.sameFile(*f.curInfo) {
		return
	}
	info, err := f.cur.Stat()
	if err != nil {
		return
	}
	prefix := make([]byte, min(info.Size(), identifyPrefixBytes))
	if _, err := f.cur.ReadAt(prefix, 0); err != nil {
		return
	}
	rotated, err := listRotated(f.read.dir, f.live)
	if err != nil {
		return
	}
	for i := len(rotated) - 1; i >= 0; i-- {
		if rotated[i].compressed && gzipHolds(f.read.dir, rotated[i].path(), info.Size(), prefix) {
			f.curAt = rotated[i].rotatedAt
			return
		}
	}
}

// gzipHolds reports whether the gzip file name in dir decompresses to size
// bytes (per its trailer, modulo 2^32 as gzip records it) starting with
// prefix.
func gzipHolds(dir *dirHandle, name string, size int64, prefix []byte) bool {
	file, err := dir.open(name)
	if err != nil {
		return false
	}
	defer file.Close()
	var trailer [4]byte
	info, err := file.Stat()
	if err != nil || info.Size() < 4 {
		return false
	}
	if _, err := file.ReadAt(trailer[:], info.Size()-4); err != nil || binary.LittleEndian.Uint32(trailer[:]) != uint32(size) {
		return false
	}
	unzipped, err := gzip.NewReader(file)
	if err != nil {
		return false
	}
	start := make([]byte, len(prefix))
	if _, err := io.ReadFull(unzipped, start); err != nil {
		return false
	}
	return bytes.Equal(start, prefix)
}
