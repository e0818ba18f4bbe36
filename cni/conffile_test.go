package cni

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t).Ino
}

func TestEnsureConfFileWritesOnlyWhenContentDiffers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d") // not yet created
	path := filepath.Join(dir, ConfFileName)
	want := []byte(`{"name":"minikubelet"}` + "\n")

	change, err := ensureConfFile(path, want)
	if err != nil || change != confMissing {
		t.Fatalf("first write: change %q err %v", change, err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(want) {
		t.Fatalf("content %q", got)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644 so the runtime can read it", info.Mode().Perm())
	}
	before := inode(t, path)

	change, err = ensureConfFile(path, want)
	if err != nil || change != confUnchanged {
		t.Fatalf("identical content: change %q err %v", change, err)
	}
	if inode(t, path) != before {
		t.Fatal("identical content was rewritten (new inode): the runtime would reload for nothing")
	}

	if err := os.WriteFile(path, []byte(`{"name":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	change, err = ensureConfFile(path, want)
	if err != nil || change != confModified {
		t.Fatalf("modified content: change %q err %v", change, err)
	}
	if got, _ := os.ReadFile(path); string(got) != string(want) {
		t.Fatalf("not repaired: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the conflist (temporary files leaked?)", len(entries))
	}
}

func TestWriteFileAtomicReplacesByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ConfFileName)
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader holding the old file keeps seeing the old content whole:
	// the new content arrives as a new inode, never as an in-place rewrite.
	reader, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := writeFileAtomic(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := make([]byte, 10)
	n, _ := reader.Read(old)
	if string(old[:n]) != "old" {
		t.Fatalf("old reader saw %q", old[:n])
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Fatalf("new content %q", got)
	}
}

func TestWriteFileAtomicCleansUpOnFailure(t *testing.T) {
	dir := t.TempDir()
	// Renaming a file over a non-empty directory fails after the temp file is written.
	target := filepath.Join(dir, ConfFileName)
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(target, []byte("x"), 0o644); err == nil {
		t.Fatal("want an error renaming over a directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary file left behind: %v", entries)
	}
}

func TestConfigsBefore(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"05-other.conflist", "01-old.conf", "00-x.json", "02-notes.txt", "99-later.conflist", ConfFileName,
		"." + ConfFileName + ".123.tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "03-dir.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := configsBefore(dir, ConfFileName)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"00-x.json", "01-old.conf", "05-other.conflist"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
