package main

import (
	"archive/tar"
	"context"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

var kubiaSpec = imageSpec{pkg: "./test/images/kubia", binary: "kubia", repository: "minikubelet/kubia", tags: []string{"1.0", "latest"}, ports: []string{"8080/tcp"}}

func TestBuildImageIsReproducible(t *testing.T) {
	first, err := buildImage(kubiaSpec, []byte("binary v1"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := buildImage(kubiaSpec, []byte("binary v1"))
	if err != nil {
		t.Fatal(err)
	}
	changed, err := buildImage(kubiaSpec, []byte("binary v2"))
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := second.Digest()
	d3, _ := changed.Digest()
	if d1 != d2 {
		t.Fatalf("same input gave digests %s and %s", d1, d2)
	}
	if d1 == d3 {
		t.Fatalf("a changed binary kept digest %s", d1)
	}
}

func TestBuildImageConfigAndLayer(t *testing.T) {
	img, err := buildImage(kubiaSpec, []byte("#!binary"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" || strings.Join(cfg.Config.Entrypoint, " ") != "/kubia" {
		t.Fatalf("config: os %q arch %q entrypoint %q", cfg.OS, cfg.Architecture, cfg.Config.Entrypoint)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v; want exactly one", len(layers), err)
	}
	files := readLayer(t, layers[0])
	if h, ok := files["kubia"]; !ok || h.Mode != 0o755 || h.Size != int64(len("#!binary")) {
		t.Fatalf("kubia entry %+v (present %v)", h, ok)
	}
	if h, ok := files["tmp/"]; !ok || h.Mode != 0o1777 {
		t.Fatalf("tmp/ entry %+v (present %v)", h, ok)
	}
}

func readLayer(t *testing.T, layer interface {
	Uncompressed() (io.ReadCloser, error)
}) map[string]*tar.Header {
	t.Helper()
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = h
	}
}

// TestPublishSkipsUpToDateTags pushes to an in-memory registry served over
// plain HTTP, as the test bed's registry is.
func TestPublishSkipsUpToDateTags(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	host := strings.TrimPrefix(reg.URL, "http://")
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)

	img, err := buildImage(kubiaSpec, []byte("binary v1"))
	if err != nil {
		t.Fatal(err)
	}
	assertResults(t, ctx, log, host, img, resultPushed)
	assertResults(t, ctx, log, host, img, resultUpToDate)

	newer, err := buildImage(kubiaSpec, []byte("binary v2"))
	if err != nil {
		t.Fatal(err)
	}
	assertResults(t, ctx, log, host, newer, resultPushed)
	want, _ := newer.Digest()
	latest, err := name.NewTag(host+"/minikubelet/kubia:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(latest)
	if err != nil || desc.Digest != want {
		t.Fatalf("latest points at %v (%v), want %s", desc, err, want)
	}
}

func assertResults(t *testing.T, ctx context.Context, log *slog.Logger, host string, img v1.Image, want pushResult) {
	t.Helper()
	results, err := publish(ctx, log, host, kubiaSpec, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range kubiaSpec.tags {
		if results[tag] != want {
			t.Fatalf("tag %s: %q, want %q (all: %v)", tag, results[tag], want, results)
		}
	}
}

func TestPublishNamesUnreachableRegistry(t *testing.T) {
	reg := httptest.NewServer(registry.New())
	host := strings.TrimPrefix(reg.URL, "http://")
	reg.Close()
	img, err := buildImage(kubiaSpec, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = publish(context.Background(), slog.New(slog.DiscardHandler), host, kubiaSpec, img)
	if err == nil || !strings.Contains(err.Error(), "testbed-up") {
		t.Fatalf("error %v, want a hint to start the test bed", err)
	}
}
