package managed

//go:generate go run pause_gen.go

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fallbackSandboxImage is what the managed containerd pulls for pod
// sandboxes when the binary carries no pause image and --sandbox-image is
// not set. It needs registry.k8s.io to be reachable.
const fallbackSandboxImage = "registry.k8s.io/pause:3.10"

// importTimeout bounds `ctr images import` of the embedded pause image.
const importTimeout = time.Minute

// imageStatuser is the part of the CRI image service the import needs.
type imageStatuser interface {
	ImageStatus(ctx context.Context, image *runtimeapi.ImageSpec, verbose bool) (*runtimeapi.ImageStatusResponse, error)
}

// chooseSandboxImage returns the managed containerd's sandbox_image and,
// when it is the embedded image, the archive to import.
func chooseSandboxImage(sandboxImage string, embedded []byte, log *slog.Logger) (string, []byte, error) {
	switch {
	case sandboxImage != "":
		return sandboxImage, nil, nil
	case len(embedded) > 0:
		name, err := archiveImageName(embedded)
		if err != nil {
			return "", nil, fmt.Errorf("reading the pause image embedded in minikubelet: %w", err)
		}
		return name, embedded, nil
	default:
		log.Warn("this minikubelet carries no pause image (built without `make build`); the managed containerd will pull one, which needs the internet",
			"image", fallbackSandboxImage, "fix", "build with `make build`, or set --sandbox-image to an image the runtime can get")
		return fallbackSandboxImage, nil, nil
	}
}

// archiveImageName reads the image name from a docker-archive's
// manifest.json.
func archiveImageName(archive []byte) (string, error) {
	reader := tar.NewReader(bytes.NewReader(archive))
	for {
		header, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return "", errors.New("no manifest.json in the image archive")
		}
		if err != nil {
			return "", fmt.Errorf("reading the image archive: %w", err)
		}
		if header.Name != "manifest.json" {
			continue
		}
		var manifest []struct{ RepoTags []string }
		if err := json.NewDecoder(reader).Decode(&manifest); err != nil {
			return "", fmt.Errorf("decoding the archive's manifest.json: %w", err)
		}
		if len(manifest) != 1 || len(manifest[0].RepoTags) == 0 {
			return "", errors.New("the archive's manifest.json does not name exactly one tagged image")
		}
		return manifest[0].RepoTags[0], nil
	}
}

// ensureSandboxImage imports the embedded pause image into the managed
// containerd unless it is already there: pods cannot start without it, and
// no registry is needed this way.
func (m *Containerd) ensureSandboxImage(ctx context.Context, images imageStatuser) error {
	if m == nil || len(m.pauseArchive) == 0 {
		return nil
	}
	status, err := images.ImageStatus(ctx, &runtimeapi.ImageSpec{Image: m.sandboxImage}, false)
	if err != nil {
		return fmt.Errorf("checking for the pause image %s in the managed containerd: %w", m.sandboxImage, err)
	}
	if status.GetImage() != nil {
		return nil
	}
	ctr, err := exec.LookPath("ctr")
	if err != nil {
		return fmt.Errorf("importing the pause image needs ctr, which comes with containerd: install it with `%s`", installHint)
	}
	ctx, cancel := context.WithTimeout(ctx, importTimeout)
	defer cancel()
	began := time.Now()
	cmd := exec.CommandContext(ctx, ctr, "--address", m.paths.Socket, "--namespace", "k8s.io", "images", "import", "-")
	cmd.Stdin = bytes.NewReader(m.pauseArchive)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("importing the pause image %s into the managed containerd with ctr: %w: %s", m.sandboxImage, err, bytes.TrimSpace(out))
	}
	m.log.Info("imported the embedded pause image", "image", m.sandboxImage, "bytes", len(m.pauseArchive),
		"took", time.Since(began).Round(time.Millisecond))
	return nil
}
