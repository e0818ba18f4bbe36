package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is the timestamp of every file and of the image itself: fixed, so
// the same binary always yields the same digest and reruns can skip pushes.
var epoch = time.Unix(0, 0).UTC()

// imageSpec describes one test image: which package to compile and where to
// push it.
type imageSpec struct {
	pkg        string   // Go package, relative to the repository root
	binary     string   // file name at the image root, also the entrypoint
	repository string   // path under the registry, e.g. minikubelet/kubia
	tags       []string // every tag that must point at the image
	ports      []string // exposed ports, e.g. 8080/tcp
	// links are more names of the binary at the image root, for tools it
	// runs by the name it is called with (kubia's tar for kubectl cp).
	links []string
}

// testImages are the images the test bed provides to e2e tests.
var testImages = []imageSpec{
	{pkg: "./test/images/pause", binary: "pause", repository: "minikubelet/pause", tags: []string{"3.10"}},
	{pkg: "./test/images/kubia", binary: "kubia", repository: "minikubelet/kubia", tags: []string{"1.0", "latest"}, ports: []string{"8080/tcp"}, links: []string{"tar", "test"}},
}

// Minimal account files, so runAsUser/runAsGroup by number map to names and
// tools that look up the current user do not fail.
const (
	etcPasswd = "root:x:0:0:root:/:/nonexistent\nnobody:x:65534:65534:nobody:/:/nonexistent\n"
	etcGroup  = "root:x:0:\nnogroup:x:65534:\n"
)

// buildImage packs binary into a one-layer linux/amd64 OCI image whose
// entrypoint is the binary.
func buildImage(spec imageSpec, binary []byte) (v1.Image, error) {
	layerTar, err := writeLayer(kubiaLayout(spec.binary, binary, spec.links...))
	if err != nil {
		return nil, fmt.Errorf("pack layer of %s: %w", spec.repository, err)
	}
	img, err := oneLayerImage(configFile(spec), layerTar, "minikubelet test/images/build: "+spec.pkg)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", spec.repository, err)
	}
	return img, nil
}

// oneLayerImage makes a linux/amd64 OCI image of config and one layer.
func oneLayerImage(config *v1.ConfigFile, layerTar []byte, createdBy string) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	base, err = mutate.ConfigFile(base, config)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: createdBy},
	})
	if err != nil {
		return nil, fmt.Errorf("add layer: %w", err)
	}
	return img, nil
}

func configFile(spec imageSpec) *v1.ConfigFile {
	return imageConfig(v1.Config{Entrypoint: []string{"/" + spec.binary}, Env: []string{"PATH=/"}}, spec.ports)
}

// imageConfig is a linux/amd64 image config of cfg, working in / and
// exposing ports, stamped with epoch.
func imageConfig(cfg v1.Config, ports []string) *v1.ConfigFile {
	cfg.ExposedPorts = map[string]struct{}{}
	for _, port := range ports {
		cfg.ExposedPorts[port] = struct{}{}
	}
	cfg.WorkingDir = "/"
	return &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		Config:       cfg,
	}
}

// tarEntry is one file, directory or symlink of a layer.
type tarEntry struct {
	header  tar.Header
	content []byte
}

func dirEntry(name string, mode int64) tarEntry {
	return tarEntry{tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: mode}, nil}
}

func fileEntry(name string, mode int64, content []byte) tarEntry {
	return tarEntry{tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode}, content}
}

func linkEntry(name, target string) tarEntry {
	return tarEntry{tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777}, nil}
}

// kubiaLayout is the layer of minikubelet's own images: the binary at the
// root with its links beside it, a world-writable /tmp (the app writes
// marker files there) and /etc accounts.
func kubiaLayout(binaryName string, binary []byte, links ...string) []tarEntry {
	entries := []tarEntry{
		dirEntry("etc", 0o755),
		fileEntry("etc/group", 0o644, []byte(etcGroup)),
		fileEntry("etc/passwd", 0o644, []byte(etcPasswd)),
		dirEntry("tmp", 0o1777),
		fileEntry(binaryName, 0o755, binary),
	}
	for _, link := range links {
		entries = append(entries, linkEntry(link, binaryName))
	}
	return entries
}

// writeLayer returns the layer's tar stream of entries, in order, each
// stamped with epoch so the same entries always give the same digest.
func writeLayer(entries []tarEntry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, entry := range entries {
		header := entry.header
		header.ModTime = epoch
		header.Size = int64(len(entry.content))
		header.Format = tar.FormatPAX
		if err := tw.WriteHeader(&header); err != nil {
			return nil, fmt.Errorf("tar header %s: %w", header.Name, err)
		}
		if _, err := tw.Write(entry.content); err != nil {
			return nil, fmt.Errorf("tar content %s: %w", header.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	return buf.Bytes(), nil
}
