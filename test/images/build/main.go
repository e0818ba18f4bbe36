// Command build compiles minikubelet's test images (pause and kubia) as
// static linux/amd64 binaries, packs each into a one-layer image and pushes
// it to the test bed's registry over plain HTTP.
//
// Binaries are built reproducibly (-trimpath, no build ID, no VCS stamp) and
// layers carry fixed timestamps, so unchanged sources give the same image
// digest; a tag whose digest already matches is not pushed again, which
// makes reruns fast and idempotent.
//
// Usage (from anywhere inside the repository):
//
//	go run ./test/images/build [-registry 127.0.0.1:5000]
//	go run ./test/images/build -suite-bin DIR -debian-root DIR [-busybox /bin/busybox] [-shell /bin/bash-static]
//
// With -suite-bin it also makes the upstream e2e suite's images
// (test/conformance): agnhost and nonewprivs from DIR's agnhost and nnp
// binaries (test/testbed/build.sh conformance builds them), nonroot and busybox from Debian's
// busybox-static (with Debian's bash-static as sh), glibc-dns-testing and
// nginx on that busybox with Debian's hostname, getent and nginx (and the
// shared libraries they load) from the -debian-root directory, and our
// pause under the suite's pause name. agnhost's image also gets the host's
// curl and netcat-openbsd with their shared libraries (apt-get install curl
// netcat-openbsd), which the networking tests exec there, and our pause
// as pause:testing in /var/registry for its fake-registry-server.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	registry := flag.String("registry", envOr("REGISTRY", "127.0.0.1:5000"), "registry host:port to push to (env REGISTRY)")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	suiteBin := flag.String("suite-bin", "", "also make the e2e suite's images, with the agnhost and nnp binaries in this directory")
	busybox := flag.String("busybox", "/bin/busybox", "a static busybox for the e2e suite's images")
	shell := flag.String("shell", "/bin/bash-static", "a static bash, the e2e suite's images' sh")
	debianRoot := flag.String("debian-root", "", "with -suite-bin: Debian packages extracted into one directory, for the suite's glibc-dns-testing and nginx images (test/testbed/build.sh suite-debian)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: dropTime}))

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := buildAndPushAll(ctx, log, *registry, *suiteBin, *busybox, *shell, *debianRoot); err != nil {
		log.Error("building test images failed", "err", err)
		os.Exit(1)
	}
}

func buildAndPushAll(ctx context.Context, log *slog.Logger, registry, suiteBin, busybox, shell, debianRoot string) error {
	root, err := repositoryRoot()
	if err != nil {
		return err
	}
	workDir, err := os.MkdirTemp("", "minikubelet-images-")
	if err != nil {
		return fmt.Errorf("make a build directory: %w", err)
	}
	defer os.RemoveAll(workDir)

	var pause v1.Image
	for _, spec := range testImages {
		binary, err := compile(ctx, root, workDir, spec)
		if err != nil {
			return err
		}
		img, err := buildImage(spec, binary)
		if err != nil {
			return err
		}
		if _, err := publish(ctx, log, registry, spec, img); err != nil {
			return err
		}
		if suiteBin != "" && spec.binary == "pause" {
			pause = img
			// The suite's pods that name its pause image get ours.
			if _, err := publish(ctx, log, registry, imageSpec{repository: "pause", tags: []string{suitePauseTag}}, img); err != nil {
				return err
			}
		}
	}
	if suiteBin == "" {
		return nil
	}
	src, err := readSuiteSources(ctx, suiteBin, busybox, shell, debianRoot)
	if err != nil {
		return err
	}
	// agnhost's fake registry serves ours as pause:testing.
	if pause == nil {
		return fmt.Errorf("the pause image is not among the test images; agnhost's fake registry serves it")
	}
	if src.fakeRegistry, err = fakeRegistryEntries(fakeRegistryImage, fakeRegistryTag, pause); err != nil {
		return err
	}
	images, err := buildSuiteImages(src)
	if err != nil {
		return err
	}
	for _, image := range images {
		if _, err := publish(ctx, log, registry, image.spec, image.img); err != nil {
			return err
		}
	}
	return nil
}

// compile cross-compiles spec's package into a static linux/amd64 binary and
// returns its bytes. Flags strip everything that would change between two
// builds of the same source, so the image digest is stable.
func compile(ctx context.Context, root, workDir string, spec imageSpec) ([]byte, error) {
	out := filepath.Join(workDir, spec.binary)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, spec.pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if output, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compile %s: %w\n%s", spec.pkg, err, output)
	}
	binary, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("read compiled %s: %w", spec.pkg, err)
	}
	return binary, nil
}

// repositoryRoot finds the directory holding go.mod, from the working
// directory upwards, so the tool runs from any folder of the repository.
func repositoryRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod above the working directory; run from inside the minikubelet checkout")
		}
		dir = parent
	}
}

// dropTime leaves timestamps out of the progress lines: they are read by a
// person watching make testbed-up, next to the test bed's own lines.
func dropTime(groups []string, attr slog.Attr) slog.Attr {
	if len(groups) == 0 && attr.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return attr
}

func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}
