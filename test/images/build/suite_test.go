package main

import (
	"archive/tar"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The suite's tests run commands by path (/bin/sh -c, /agnhost, wget, ...)
// and as users by name: the images must have them where the suite looks.
func TestSuiteImagesHaveWhatTheSuiteRuns(t *testing.T) {
	src := &suiteSources{
		agnhost: []byte("agnhost binary"),
		busybox: []byte("busybox binary"),
		applets: []string{"bin/sh", "bin/ls", "usr/bin/wget", "sbin/ifconfig"},
	}
	images, err := buildSuiteImages(src)
	if err != nil {
		t.Fatal(err)
	}
	byRepo := map[string]v1.Image{}
	for _, image := range images {
		byRepo[image.spec.repository] = image.img
	}
	for repo, want := range map[string]struct {
		entrypoint, cmd string
		files           []string
	}{
		"e2e-test-images/busybox": {"", "sh", []string{"bin/busybox", "bin/sh", "usr/bin/wget", "sbin/ifconfig", "etc/passwd", "tmp/"}},
		"e2e-test-images/agnhost": {"/agnhost", "pause", []string{"agnhost", "agnhost-2", "bin/sh", "uploads/", "etc/group"}},
	} {
		img := byRepo[repo]
		if img == nil {
			t.Errorf("no image %s", repo)
			continue
		}
		config, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(config.Config.Entrypoint, " "); got != want.entrypoint {
			t.Errorf("%s entrypoint %q, want %q", repo, got, want.entrypoint)
		}
		if got := strings.Join(config.Config.Cmd, " "); got != want.cmd {
			t.Errorf("%s cmd %q, want %q", repo, got, want.cmd)
		}
		entries := layerEntries(t, img)
		for _, file := range want.files {
			if _, ok := entries[file]; !ok {
				t.Errorf("%s has no %s", repo, file)
			}
		}
		if sh := entries["bin/sh"]; sh.Typeflag != tar.TypeSymlink || sh.Linkname != "/bin/busybox" {
			t.Errorf("%s /bin/sh is %+v, want a link to /bin/busybox", repo, sh)
		}
	}
}

func layerEntries(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h
	}
}
