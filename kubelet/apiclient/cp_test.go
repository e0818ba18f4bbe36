package apiclient

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/minikubelet/minikubelet/kubelet/streaming/streamingtest"
)

func TestParseFileSpec(t *testing.T) {
	tests := map[string]fileSpec{
		"/tmp/x":            {path: "/tmp/x"},
		"web:/tmp/x":        {pod: "web", path: "/tmp/x"},
		"kube-system/dns:x": {namespace: "kube-system", pod: "dns", path: "x"},
		"web:":              {pod: "web"},
	}
	for arg, want := range tests {
		if got, err := parseFileSpec(arg); err != nil || got != want {
			t.Errorf("parseFileSpec(%q) = %+v, %v; want %+v", arg, got, err, want)
		}
	}
	for _, bad := range []string{":x", "a/b/c:x", "/web:x"} {
		if _, err := parseFileSpec(bad); err == nil {
			t.Errorf("parseFileSpec(%q) accepted", bad)
		}
	}
}

func TestArchivePrefix(t *testing.T) {
	for remote, want := range map[string]string{
		"/tmp/x": "tmp/x", "/tmp/x/": "tmp/x", "tmp/./x": "tmp/x", "../../etc": "etc", "/": "", ".": "",
	} {
		if got := archivePrefix(remote); got != want {
			t.Errorf("archivePrefix(%q) = %q; want %q", remote, got, want)
		}
	}
}

// TestCopyBothWaysKeepsContent copies a tree into a container directory
// and back, and a single file to a path, comparing checksums.
func TestCopyBothWaysKeepsContent(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	local := filepath.Join(t.TempDir(), "tree")
	writeFileAt(t, filepath.Join(local, "a.txt"), strings.Repeat("a", 100000))
	writeFileAt(t, filepath.Join(local, "sub", "b.txt"), "bee")
	want := treeSums(t, local)
	if err := os.MkdirAll(filepath.Join(sa.root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	copyOpts := func(src, dest string) CopyOptions {
		return CopyOptions{Source: src, Destination: dest, Out: &errOut, ErrOut: &errOut}
	}
	// Into a directory that exists: the tree lands inside it.
	if err := Copy(context.Background(), sa.conn, copyOpts(local, "web:/data")); err != nil {
		t.Fatalf("cp to the pod: %v\n%s", err, errOut.String())
	}
	if got := treeSums(t, filepath.Join(sa.root, "data", "tree")); !reflect.DeepEqual(got, want) {
		t.Fatalf("in the container: %v; want %v", got, want)
	}
	back := filepath.Join(t.TempDir(), "back")
	if err := Copy(context.Background(), sa.conn, copyOpts("default/web:/data/tree", back)); err != nil {
		t.Fatalf("cp from the pod: %v\n%s", err, errOut.String())
	}
	if got := treeSums(t, back); !reflect.DeepEqual(got, want) {
		t.Fatalf("back here: %v; want %v", got, want)
	}
	// One file to a new path, and back to another.
	if err := Copy(context.Background(), sa.conn, copyOpts(filepath.Join(local, "sub", "b.txt"), "web:/data/renamed.txt")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b")
	if err := Copy(context.Background(), sa.conn, copyOpts("web:/data/renamed.txt", file)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != "bee" {
		t.Fatalf("the file came back as %q", got)
	}
}

func TestCopyWithoutTarSaysWhatToDo(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	delete(sa.runtime.Programs, "tar")
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	var errOut bytes.Buffer
	err := Copy(context.Background(), sa.conn, CopyOptions{Source: "web:/etc/hostname", Destination: filepath.Join(t.TempDir(), "h"), Out: &errOut, ErrOut: &errOut})
	if err == nil || !strings.Contains(err.Error(), `cp runs "tar" in the container, as kubectl cp does, and container app has none in its PATH`) {
		t.Fatalf("cp without tar: %v", err)
	}
}

// TestCopyWithoutTarOnCRIO: CRI-O reports a missing program on the
// session's stderr with exit code 255, not as the session's error.
func TestCopyWithoutTarOnCRIO(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.runtime.Programs["tar"] = func(s streamingtest.Session) (int, error) {
		fmt.Fprintln(s.Stderr, `level=error msg="exec failed: unable to start container process: exec: \"tar\": executable file not found in $PATH"`)
		return 255, nil
	}
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	var errOut bytes.Buffer
	err := Copy(context.Background(), sa.conn, CopyOptions{Source: "web:/etc/hostname", Destination: filepath.Join(t.TempDir(), "h"), Out: &errOut, ErrOut: &errOut})
	var exitErr *ExitCodeError
	if err == nil || !strings.Contains(err.Error(), "container app has none in its PATH") || !errors.As(err, &exitErr) || exitErr.Code != 255 {
		t.Fatalf("cp without tar on CRI-O: %v; want the explanation and exit code 255", err)
	}
}

func TestCopyRefusesBadSpecs(t *testing.T) {
	for _, tt := range [][3]string{
		{"a", "b", "must be a remote file specification"},
		{"web:a", "web:b", "must be a local file specification"},
		{"web:", "b", "filepath can not be empty"},
	} {
		err := Copy(context.Background(), Connection{Server: "https://unused"}, CopyOptions{Source: tt[0], Destination: tt[1]})
		if err == nil || !strings.Contains(err.Error(), tt[2]) {
			t.Errorf("cp %s %s: %v; want %q", tt[0], tt[1], err, tt[2])
		}
	}
}

// TestReadTarKeepsAContainerInsideDest: an archive from the container is
// not trusted: members outside the asked path end the copy, names that
// climb out of dest and links are skipped, and no file is written through
// a link already in dest.
func TestReadTarKeepsAContainerInsideDest(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "dest")
	outside := filepath.Join(dir, "outside")
	writeFileAt(t, outside, "original")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dest, "planted")); err != nil {
		t.Fatal(err)
	}
	archive := func(entries ...*tar.Header) *bytes.Buffer {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			if h.Typeflag == tar.TypeReg {
				h.Size = 4
			}
			_ = tw.WriteHeader(h)
			if h.Typeflag == tar.TypeReg {
				_, _ = tw.Write([]byte("evil"))
			}
		}
		_ = tw.Close()
		return &buf
	}
	var warn bytes.Buffer
	err := readTar(archive(
		&tar.Header{Name: "tmp/x/../../../outside2", Typeflag: tar.TypeReg, Mode: 0o644},
		&tar.Header{Name: "tmp/x/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
		&tar.Header{Name: "tmp/x/ok", Typeflag: tar.TypeReg, Mode: 0o644},
	), "tmp/x", dest, &warn)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "ok")); string(got) != "evil" {
		t.Errorf("the plain member was not written: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dest, "link")); err == nil {
		t.Error("a link from the container was created")
	}
	if _, err := os.Stat(filepath.Join(dir, "outside2")); err == nil {
		t.Error("a member climbed out of dest")
	}
	if !strings.Contains(warn.String(), "skipping symlink") {
		t.Errorf("warnings %q", warn.String())
	}
	err = readTar(archive(&tar.Header{Name: "tmp/x/planted", Typeflag: tar.TypeReg, Mode: 0o644}), "tmp/x", dest, &warn)
	if err == nil {
		t.Error("a file was written through a link in dest")
	}
	if got, _ := os.ReadFile(outside); string(got) != "original" {
		t.Errorf("the link's target was overwritten: %q", got)
	}
	if err := readTar(archive(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644}), "tmp/x", dest, &warn); err == nil || !strings.Contains(err.Error(), "tar contents corrupted") {
		t.Errorf("a member outside the asked path: %v", err)
	}
}

func writeFileAt(t *testing.T, file, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(file string, entry fs.DirEntry, err error) error {
		if err != nil || !entry.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, file)
		sums[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}
