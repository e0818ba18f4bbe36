package cni

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCorruptCacheEntriesOfOurNetworkAreRemoved(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	if err := os.MkdirAll(results, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	files := map[string]string{
		NetworkName + "-dead-eth0":  "",                  // truncated by a crash: removed
		NetworkName + "-half-eth0":  `{"kind":"cniCache`, // cut mid-write: removed
		NetworkName + "-live-eth0":  `{"kind":"cniCacheV1"}`,
		"othernet-broken-eth0":      "", // not our network: left alone
		NetworkName + "-young-eth0": "", // may still be being written: left for now
	}
	for name, content := range files {
		path := filepath.Join(results, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if name != NetworkName+"-young-eth0" {
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := &leakCollector{cacheDir: dir, now: time.Now, logger: slog.New(slog.DiscardHandler)}
	if n := c.removeCorruptCacheEntries(stampResults(t, dir)); n != 2 {
		t.Fatalf("removed %d entries, want 2", n)
	}
	for name := range files {
		_, err := os.Stat(filepath.Join(results, name))
		gone := os.IsNotExist(err)
		wantGone := name == NetworkName+"-dead-eth0" || name == NetworkName+"-half-eth0"
		if gone != wantGone {
			t.Errorf("%s: gone=%v, want %v", name, gone, wantGone)
		}
	}
}

// An entry too young to judge is judged again once it is old enough, even
// though nothing about the file changed in between.
func TestYoungTruncatedEntryIsRemovedOnceItAges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results", NetworkName+"-crashed-eth0")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"kind":`), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := &leakCollector{cacheDir: dir, now: func() time.Time { return now }, logger: slog.New(slog.DiscardHandler)}
	if n := c.removeCorruptCacheEntries(stampResults(t, dir)); n != 0 {
		t.Fatalf("removed %d entries while one may still be being written", n)
	}
	now = now.Add(time.Minute)
	if n := c.removeCorruptCacheEntries(stampResults(t, dir)); n != 1 {
		t.Fatalf("removed %d entries a minute later, want the truncated one", n)
	}
}

func stampResults(t *testing.T, cacheDir string) []fileStamp {
	t.Helper()
	stamps, err := stampFiles(filepath.Join(cacheDir, "results"), NetworkName+"-")
	if err != nil {
		t.Fatal(err)
	}
	return stamps
}
