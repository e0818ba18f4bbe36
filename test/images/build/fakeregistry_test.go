package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fake registry's tree, read back the way agnhost's
// fake-registry-server reads it: the tag file names the manifest's digest,
// the manifest there says its media type, and every blob it names is at
// its digest's path with that digest.
func TestFakeRegistryServesTheImageUnderItsTag(t *testing.T) {
	layer, err := writeLayer([]tarEntry{fileEntry("pause", 0o755, []byte("binary"))})
	if err != nil {
		t.Fatal(err)
	}
	img, err := oneLayerImage(configFile(imageSpec{binary: "pause"}), layer, "test")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fakeRegistryEntries("pause", "testing", img)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	seen := map[string]bool{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.header.Name, "/")
		if !seen[filepath.Dir(name)] && filepath.Dir(name) != "var" && filepath.Dir(name) != "." {
			t.Errorf("%s comes before its directory", name)
		}
		seen[name] = true
		if e.header.Mode&0o004 == 0 {
			t.Errorf("%s is not world-readable (mode %o): the server runs as another user", name, e.header.Mode)
		}
		path := filepath.Join(root, name)
		if e.header.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(path, e.content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(root, "var/registry/pause")
	tag, err := os.ReadFile(filepath.Join(dir, "manifests/testing"))
	if err != nil {
		t.Fatal(err)
	}
	manifestDigest := strings.TrimSpace(string(tag))
	manifestRaw := readDigest(t, filepath.Join(dir, "manifests"), manifestDigest)
	var manifest struct {
		MediaType string
		Config    struct{ Digest string }
		Layers    []struct{ Digest string }
	}
	if err := json.Unmarshal(manifestRaw, &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType == "" {
		t.Error("the manifest has no mediaType; the server sends it as Content-Type")
	}
	readDigest(t, filepath.Join(dir, "blobs"), manifest.Config.Digest)
	if len(manifest.Layers) != 1 {
		t.Fatalf("%d layers", len(manifest.Layers))
	}
	readDigest(t, filepath.Join(dir, "blobs"), manifest.Layers[0].Digest)
}

// readDigest reads the object of digest below dir as the fake registry
// finds it and checks its content has that digest.
func readDigest(t *testing.T, dir, digest string) []byte {
	t.Helper()
	hexDigest, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexDigest) != 64 {
		t.Fatalf("digest %q", digest)
	}
	data, err := os.ReadFile(filepath.Join(dir, "sha256", hexDigest[:2], hexDigest, "data"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != hexDigest {
		t.Errorf("%s holds content of another digest", digest)
	}
	return data
}
