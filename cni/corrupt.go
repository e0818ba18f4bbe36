package cni

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// corruptEntryAge is how old an unreadable cache entry must be before it is
// removed: libcni writes entries in place, so a younger one may be a write
// still in flight.
const corruptEntryAge = 5 * time.Second

// removeCorruptCacheEntries deletes libcni result cache entries of our
// network that are not valid JSON. A runtime killed while writing one
// (mid CNI ADD) leaves it truncated, and from then on its StopPodSandbox
// fails with "failed to get network cached result: unexpected end of JSON
// input" forever, so the sandbox and its address can never be released.
// Without the entry the runtime's CNI DEL runs on the current config.
// stamps is the listing of the entries; each version is read once and
// remembered when valid, so a sweep at rest reads none.
func (c *leakCollector) removeCorruptCacheEntries(stamps []fileStamp) int {
	valid := make(map[fileStamp]bool, len(stamps))
	removed := 0
	for _, stamp := range stamps {
		if c.memo.validEntries[stamp] {
			valid[stamp] = true
			continue
		}
		if c.now().Sub(time.Unix(0, stamp.mtime)) < corruptEntryAge {
			continue
		}
		path := filepath.Join(c.cacheDir, "results", stamp.name)
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if json.Valid(data) {
			valid[stamp] = true
			continue
		}
		if err := os.Remove(path); err != nil {
			c.logger.Warn("removing a corrupt CNI cache entry failed", "path", path, "error", err)
			continue
		}
		c.logger.Warn("removed a corrupt CNI cache entry (a runtime crashed while writing it) so its sandbox can be torn down", "path", path, "bytes", len(data))
		removed++
	}
	// Only entries still listed are kept, so the set is bounded by the
	// directory.
	c.memo.validEntries = valid
	return removed
}
