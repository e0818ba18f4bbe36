package main

import (
	"fmt"
	"io"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// agnhost's fake-registry-server serves images from /var/registry, laid
// out as upstream's agnhost image has them (its prepare_registry.sh): per
// image, manifests/<tag> holds the manifest's digest, and each manifest
// and blob is a file <dir>/sha256/<first two hex>/<hex>/data. The suite's
// private-registry pull tests pull pause:testing from it.
const (
	fakeRegistryDir   = "var/registry"
	fakeRegistryImage = "pause"
	fakeRegistryTag   = "testing"
)

// fakeRegistryEntries lays img out under /var/registry as repository:tag,
// with every parent directory, world-readable: the suite runs the server
// as an arbitrary user.
func fakeRegistryEntries(repository, tag string, img v1.Image) ([]tarEntry, error) {
	manifest, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s:%s: %w", repository, tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("reading the digest of %s:%s: %w", repository, tag, err)
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s:%s: %w", repository, tag, err)
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		return nil, fmt.Errorf("reading the config digest of %s:%s: %w", repository, tag, err)
	}
	root := path.Join(fakeRegistryDir, repository)
	dirs := map[string]bool{}
	var entries []tarEntry
	add := func(name string, content []byte) {
		var parents []string
		for dir := path.Dir(name); dir != "." && !dirs[dir]; dir = path.Dir(dir) {
			dirs[dir] = true
			parents = append(parents, dir)
		}
		for i := len(parents) - 1; i >= 0; i-- { // parents before children
			entries = append(entries, dirEntry(parents[i], 0o755))
		}
		entries = append(entries, fileEntry(name, 0o644, content))
	}
	add(path.Join(root, "manifests", tag), []byte(digest.String()+"\n"))
	add(digestPath(path.Join(root, "manifests"), digest), manifest)
	add(digestPath(path.Join(root, "blobs"), configDigest), config)
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the layers of %s:%s: %w", repository, tag, err)
	}
	for _, layer := range layers {
		layerDigest, err := layer.Digest()
		if err != nil {
			return nil, fmt.Errorf("reading a layer digest of %s:%s: %w", repository, tag, err)
		}
		content, err := compressedBytes(layer)
		if err != nil {
			return nil, fmt.Errorf("reading layer %s of %s:%s: %w", layerDigest, repository, tag, err)
		}
		add(digestPath(path.Join(root, "blobs"), layerDigest), content)
	}
	return entries, nil
}

// digestPath is where the fake registry looks for the object of digest
// below dir: dir/sha256/ab/abcd.../data.
func digestPath(dir string, digest v1.Hash) string {
	return path.Join(dir, digest.Algorithm, digest.Hex[:2], digest.Hex, "data")
}

func compressedBytes(layer v1.Layer) ([]byte, error) {
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
