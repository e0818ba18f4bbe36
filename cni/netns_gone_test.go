package cni

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReachableNetNSKeepsOnlyANamespace(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "pinned-but-unmounted")
	if err := os.WriteFile(bare, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/proc/self/ns/net":            "/proc/self/ns/net",
		bare:                           "",
		filepath.Join(bare, "missing"): "",
		"":                             "",
	} {
		if got := reachableNetNS(path); got != want {
			t.Errorf("reachableNetNS(%q) = %q, want %q", path, got, want)
		}
	}
}
