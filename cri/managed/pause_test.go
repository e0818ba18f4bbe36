package managed

import (
	"archive/tar"
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func tarWith(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestArchiveImageName(t *testing.T) {
	archive := tarWith(t, map[string]string{
		"layer.tar.gz":  "x",
		"manifest.json": `[{"Config":"sha256:1","RepoTags":["localhost/minikubelet/pause:0123456789ab"],"Layers":["layer.tar.gz"]}]`,
	})
	name, err := archiveImageName(archive)
	if err != nil || name != "localhost/minikubelet/pause:0123456789ab" {
		t.Fatalf("got %q, %v", name, err)
	}
	for content, want := range map[string]string{
		`[]`:                  "exactly one tagged image",
		`[{"RepoTags":[]}]`:   "exactly one tagged image",
		`{"not":"a list"}`:    "decoding the archive's manifest.json",
		`[{"RepoTags":["a"]}`: "decoding",
	} {
		_, err := archiveImageName(tarWith(t, map[string]string{"manifest.json": content}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("manifest %s: error %v, want %q", content, err, want)
		}
	}
	if _, err := archiveImageName(tarWith(t, map[string]string{"other": "x"})); err == nil || !strings.Contains(err.Error(), "no manifest.json") {
		t.Errorf("archive without manifest: %v", err)
	}
}

func TestChooseSandboxImage(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	embedded := tarWith(t, map[string]string{"manifest.json": `[{"RepoTags":["localhost/minikubelet/pause:aaa"]}]`})
	if name, archive, _ := chooseSandboxImage("example.com/pause:1", embedded, log); name != "example.com/pause:1" || archive != nil {
		t.Errorf("--sandbox-image must win over the embedded image: %q, archive %v", name, archive != nil)
	}
	if name, archive, _ := chooseSandboxImage("", embedded, log); name != "localhost/minikubelet/pause:aaa" || archive == nil {
		t.Errorf("embedded: %q, archive %v", name, archive != nil)
	}
	if name, archive, _ := chooseSandboxImage("", nil, log); name != fallbackSandboxImage || archive != nil {
		t.Errorf("nothing embedded: %q, archive %v", name, archive != nil)
	}
}

type fakeImages struct {
	present bool
	asked   []string
}

func (f *fakeImages) ImageStatus(_ context.Context, image *runtimeapi.ImageSpec, _ bool) (*runtimeapi.ImageStatusResponse, error) {
	f.asked = append(f.asked, image.Image)
	if f.present {
		return &runtimeapi.ImageStatusResponse{Image: &runtimeapi.Image{Id: "sha256:1"}}, nil
	}
	return &runtimeapi.ImageStatusResponse{}, nil
}

func TestEnsureSandboxImageSkipsAnImagePresent(t *testing.T) {
	images := &fakeImages{present: true}
	m := &Containerd{sandboxImage: "localhost/minikubelet/pause:aaa", pauseArchive: []byte("archive"), log: slog.New(slog.DiscardHandler)}
	// A ctr run would fail: there is no containerd at the empty socket path.
	if err := m.ensureSandboxImage(context.Background(), images); err != nil {
		t.Fatal(err)
	}
	if len(images.asked) != 1 || images.asked[0] != m.sandboxImage {
		t.Fatalf("asked for %v", images.asked)
	}
	var none *Containerd
	if err := none.ensureSandboxImage(context.Background(), images); err != nil {
		t.Fatalf("no managed runtime: %v", err)
	}
}
