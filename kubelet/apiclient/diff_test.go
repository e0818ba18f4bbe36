package apiclient

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func diff(t *testing.T, conn Connection, file string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff program")
	}
	var out bytes.Buffer
	err := Diff(context.Background(), conn, DiffOptions{ManifestOptions: ManifestOptions{Files: []string{file}, Stdout: &out}, Stderr: &out})
	return out.String(), err
}

func TestDiffShowsWhatApplyWouldChangeAndExitsLikeKubectl(t *testing.T) {
	agent, conn := startNodeAPI(t)
	path := agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	before := readOrFail(t, path)

	same := writeFile(t, "same.yaml", podManifest("web", "default"))
	if out, err := diff(t, conn, same); err != nil || out != "" {
		t.Errorf("diff of the same pod = %q, %v; want nothing and exit 0", out, err)
	}
	changed := writeFile(t, "changed.yaml", strings.Replace(podManifest("web", "default"), "web:1", "web:2", 1))
	out, err := diff(t, conn, changed)
	var exitErr *ExitCodeError
	if !errors.As(err, &exitErr) || exitErr.Code != 1 || !exitErr.Silent {
		t.Errorf("diff of a change = %v, want exit code 1", err)
	}
	if !strings.Contains(out, "-  - image: example.com/web:1") || !strings.Contains(out, "+  - image: example.com/web:2") || !strings.Contains(out, "/LIVE/v1.Pod.default.web") {
		t.Errorf("diff of a change printed:\n%s", out)
	}
	fresh := writeFile(t, "new.yaml", podManifest("db", "default"))
	if out, err := diff(t, conn, fresh); !errors.As(err, &exitErr) || !strings.Contains(out, "+  name: db") {
		t.Errorf("diff of a new pod = %v:\n%s", err, out)
	}
	if after := readOrFail(t, path); after != before {
		t.Errorf("diff wrote the manifest:\n%s", after)
	}
	if files := listManifests(t, agent); len(files) != 1 {
		t.Errorf("diff created manifests: %v", files)
	}
}

func readOrFail(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// listManifests names the files in the stand-in agent's manifest directory.
func listManifests(t *testing.T, agent *standInAgent) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(agent.manifests, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
