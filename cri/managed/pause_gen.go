//go:build ignore

// pause_gen.go builds the pause image the managed containerd uses
// and writes it, as a docker-archive tarball, to pause.tar beside
// this file, where pause_embed.go embeds it (build tag
// minikubelet_pause). Run it with `go generate ./cri/managed`; make build,
// run and install do.
//
// The image is one layer holding test/images/pause compiled static, with
// fixed timestamps and no build ID, so the same source gives the same digest
// and the same image name: its tag is the digest's first 12 hex digits.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	pausePackage = "../../test/images/pause"
	outputFile   = "pause.tar"
	repository   = "localhost/minikubelet/pause"
)

var epoch = time.Unix(0, 0).UTC()

func main() {
	if err := generate(); err != nil {
		fmt.Fprintln(os.Stderr, "pause_gen:", err)
		os.Exit(1)
	}
}

func generate() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	arch := os.Getenv("GOARCH")
	if arch == "" {
		arch = runtime.GOARCH
	}
	binary, err := compilePause(ctx, arch)
	if err != nil {
		return err
	}
	img, err := pauseImage(binary, arch)
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("digest of the pause image: %w", err)
	}
	tag, err := name.NewTag(repository + ":" + digest.Hex[:12])
	if err != nil {
		return err
	}
	return writeArchive(tag, img)
}

// compilePause builds the pause command static for linux/arch; -trimpath,
// an empty build ID and no VCS stamp keep the bytes stable across builds.
func compilePause(ctx context.Context, arch string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "minikubelet-pause-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "pause")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, pausePackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if output, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compiling %s: %w\n%s", pausePackage, err, output)
	}
	return os.ReadFile(out)
}

func pauseImage(binary []byte, arch string) (v1.Image, error) {
	layerTar, err := singleFileTar("pause", binary)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("pause layer: %w", err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	base, err = mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		Config:       v1.Config{Entrypoint: []string{"/pause"}, WorkingDir: "/"},
	})
	if err != nil {
		return nil, fmt.Errorf("pause config: %w", err)
	}
	return mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "minikubelet cri/managed/pause_gen.go"},
	})
}

func singleFileTar(fileName string, content []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	header := &tar.Header{Name: fileName, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(content)), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(header); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeArchive replaces the output file atomically, and leaves it alone when
// its content would not change, so go build's cache stays warm.
func writeArchive(tag name.Tag, img v1.Image) error {
	var buf bytes.Buffer
	if err := tarball.Write(tag, img, &buf); err != nil {
		return fmt.Errorf("writing the pause archive: %w", err)
	}
	if old, err := os.ReadFile(outputFile); err == nil && bytes.Equal(old, buf.Bytes()) {
		return nil
	}
	tmp := outputFile + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, outputFile); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s (%d bytes)\n", outputFile, tag, buf.Len())
	return nil
}
