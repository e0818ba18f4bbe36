package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadAllocationsAndLeaks(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"10.88.0.5":          "sandbox-live\neth0\n",
		"10.88.0.6":          "sandbox-gone\neth0\n",
		"10.88.0.7":          "sandbox-old-leak\neth0\n",
		"lock":               "",
		"last_reserved_ip.0": "10.88.0.7",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	allocs, err := readAllocations(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(allocs) != 3 || allocs["10.88.0.5"] != "sandbox-live" {
		t.Fatalf("allocations = %v, want the three addresses by owner", allocs)
	}
	leaks := leakedAddresses(allocs, map[string]bool{"sandbox-live": true}, map[string]bool{"10.88.0.7": true})
	if len(leaks) != 1 || leaks[0] != "address 10.88.0.6 is held for sandbox sandbox-gone, which the runtime does not have" {
		t.Errorf("leaks = %q, want only 10.88.0.6 (10.88.0.7 leaked before the run)", leaks)
	}
	if got, err := readAllocations(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("a missing directory: %v, %v; want none, no error", got, err)
	}
}
