package cni

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// A sweep at rest used to read and parse every libcni cache entry (twice:
// once for corruption, once for its attachment) and every host-local
// allocation, every CheckInterval: at 110 pods that was a quarter of the
// agent's idle CPU. Both directories change only when a pod's network is
// set up or torn down, so a sweep re-reads them only when a listing of
// names, sizes and mtimes differs from the last one. The runtime is still
// listed every sweep: a sandbox that vanished without CNI DEL changes no
// file, and that is the leak this collector is for.

// fileStamp identifies one version of a file: any write changes its size or
// its nanosecond mtime.
type fileStamp struct {
	name  string
	size  int64
	mtime int64
}

// stampFiles lists the regular files in dir whose names start with prefix,
// in name order. A missing dir has no files.
func stampFiles(dir, prefix string) ([]fileStamp, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	stamps := make([]fileStamp, 0, len(entries))
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since the listing
		}
		stamps = append(stamps, fileStamp{name: e.Name(), size: info.Size(), mtime: info.ModTime().UnixNano()})
	}
	return stamps, nil
}

// sweepMemo holds what the last sweep read, with the listing it read it at.
type sweepMemo struct {
	cacheStamps []fileStamp
	cached      []cachedAttachment
	allocStamps []fileStamp
	allocations []allocation
	// validEntries are cache entry versions already found to be valid JSON,
	// so the corruption check reads each version once.
	validEntries map[fileStamp]bool
}

// cachedUnchanged reports whether the cache entries are as last read.
func (m *sweepMemo) cachedUnchanged(stamps []fileStamp) bool {
	return m.cached != nil && slices.Equal(m.cacheStamps, stamps)
}

// allocationsUnchanged reports whether the allocations are as last read.
func (m *sweepMemo) allocationsUnchanged(stamps []fileStamp) bool {
	return m.allocations != nil && slices.Equal(m.allocStamps, stamps)
}

// forget drops what was read, so the next sweep reads everything again; a
// sweep that fails part way must not leave a half-updated memo.
func (m *sweepMemo) forget() {
	m.cacheStamps, m.cached, m.allocStamps, m.allocations = nil, nil, nil, nil
}
