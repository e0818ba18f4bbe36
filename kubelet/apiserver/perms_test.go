package apiserver

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"sigs.k8s.io/yaml"
)

// A manifest can hold secrets in env values: the API must never make it
// more readable than it was, nor create one others can read.

func TestCreateWritesAManifestOnlyItsOwnerReads(t *testing.T) {
	_, srv, s := newTestServer(t)
	body, _ := yaml.YAMLToJSON([]byte(podYAML("web")))
	if code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", string(body)); code != 201 {
		t.Fatalf("create = %d %s", code, resp)
	}
	if mode := modeOf(t, filepath.Join(s.cfg.ManifestDir, "default_web.yaml")); mode != 0o600 {
		t.Errorf("created manifest has mode %04o, want 0600", mode)
	}
}

func TestReplaceAndPatchKeepTheManifestsModeAndOwner(t *testing.T) {
	src, srv, s := newTestServer(t)
	path := src.write(t, "web.yaml", podYAML("web"))
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	owner := os.Getuid()
	if owner == 0 { // root can give the file away, as an operator's tools may have
		owner = 4321
		if err := os.Chown(path, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	changed, _ := yaml.YAMLToJSON([]byte(strings.Replace(podYAML("web"), "app:1", "app:2", 1)))
	if code, resp := do(t, "PUT", srv.URL+"/api/v1/namespaces/default/pods/web", "application/json", string(changed)); code != 200 {
		t.Fatalf("replace = %d %s", code, resp)
	}
	checkPerms(t, "after PUT", path, 0o600, owner)
	if code, resp := do(t, "PATCH", srv.URL+"/api/v1/namespaces/default/pods/web", "application/merge-patch+json",
		`{"metadata":{"labels":{"tier":"front"}}}`); code != 200 {
		t.Fatalf("patch = %d %s", code, resp)
	}
	checkPerms(t, "after PATCH", path, 0o600, owner)
	if !strings.Contains(readFile(t, s.cfg.ManifestDir, "web.yaml"), "tier: front") {
		t.Errorf("the patch was not written")
	}
	// A looser mode is the operator's choice, kept as well.
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if code, resp := do(t, "PATCH", srv.URL+"/api/v1/namespaces/default/pods/web", "application/merge-patch+json",
		`{"metadata":{"labels":{"tier":"back"}}}`); code != 200 {
		t.Fatalf("patch = %d %s", code, resp)
	}
	checkPerms(t, "after PATCH of a 0640 file", path, 0o640, owner)
}

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}

func checkPerms(t *testing.T, when, path string, mode fs.FileMode, owner int) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != mode {
		t.Errorf("%s: mode %04o, want %04o", when, got, mode)
	}
	if uid := int(info.Sys().(*syscall.Stat_t).Uid); uid != owner {
		t.Errorf("%s: owner %d, want %d", when, uid, owner)
	}
}
