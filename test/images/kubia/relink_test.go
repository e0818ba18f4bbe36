package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRelinkReplacesWhateverIsAtTheLink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target"), filepath.Join(dir, "link")
	if code, _, stderr := runKubia("write", link, "a plain file"); code != 0 {
		t.Fatalf("write = %d: %s", code, stderr)
	}
	if code, _, stderr := runKubia("relink", target, link); code != 0 {
		t.Fatalf("relink = %d: %s", code, stderr)
	}
	if got, err := os.Readlink(link); err != nil || got != target {
		t.Fatalf("link points at %q (%v), want %q", got, err, target)
	}
	if code, _, stderr := runKubia("relink", target); code != 2 || !strings.Contains(stderr, "usage") {
		t.Fatalf("relink with an odd argument count = %d %q, want a usage error", code, stderr)
	}
	if code, _, stderr := runKubia("relink", target, filepath.Join(dir, "missing", "link")); code != 1 || !strings.Contains(stderr, "missing") {
		t.Fatalf("relink into a missing directory = %d %q, want 1 naming it", code, stderr)
	}
}
