package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseTarArgsTakesWhatKubectlCpSends(t *testing.T) {
	tests := []struct {
		args []string
		want tarOptions
	}{
		{[]string{"cf", "-", "/tmp/a"}, tarOptions{create: true, sameOwner: true, samePermissions: true, paths: []string{"/tmp/a"}}},
		{[]string{"-xmf", "-"}, tarOptions{extract: true, sameOwner: true, samePermissions: true}},
		{[]string{"-xmf", "-", "-C", "/tmp/d"}, tarOptions{extract: true, sameOwner: true, samePermissions: true, dir: "/tmp/d"}},
		{[]string{"--no-same-permissions", "--no-same-owner", "-xmf", "-", "-C", "/x"}, tarOptions{extract: true, dir: "/x"}},
	}
	for _, tt := range tests {
		got, err := parseTarArgs(tt.args)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseTarArgs(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
	for _, bad := range [][]string{{"cf", "out.tar", "/a"}, {"cf", "-"}, {"-czf", "-", "/a"}, {"xcf", "-"}, {"--gzip", "cf", "-", "/a"}, {"-xf"}} {
		if _, err := parseTarArgs(bad); err == nil {
			t.Errorf("parseTarArgs(%q) accepted", bad)
		}
	}
}

// TestTarRoundTripKeepsContentModesAndLinks archives a tree as kubectl cp
// asks (an absolute path) and extracts it elsewhere.
func TestTarRoundTripKeepsContentModesAndLinks(t *testing.T) {
	src := t.TempDir()
	tree := filepath.Join(src, "tree")
	mustWrite(t, filepath.Join(tree, "a.txt"), "alpha", 0o640)
	mustWrite(t, filepath.Join(tree, "sub", "b.bin"), strings.Repeat("b", 70000), 0o755)
	if err := os.Symlink("a.txt", filepath.Join(tree, "link")); err != nil {
		t.Fatal(err)
	}
	var archive, stderr bytes.Buffer
	if err := writeTar(&archive, &stderr, []string{tree}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "Removing leading `/'") {
		t.Errorf("stderr %q lacks GNU tar's note on the leading /", stderr.String())
	}
	names := tarNames(t, archive.Bytes())
	prefix := strings.TrimPrefix(tree, "/")
	for _, want := range []string{prefix + "/", prefix + "/a.txt", prefix + "/sub/b.bin", prefix + "/link"} {
		if !strings.Contains(names, want+"\n") {
			t.Errorf("archive lacks %q; has:\n%s", want, names)
		}
	}

	dest := t.TempDir()
	if err := extractTar(&archive, tarOptions{extract: true, samePermissions: true, dir: dest}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dest, prefix)
	if got, _ := os.ReadFile(filepath.Join(out, "sub", "b.bin")); len(got) != 70000 {
		t.Errorf("b.bin has %d bytes", len(got))
	}
	if info, err := os.Stat(filepath.Join(out, "a.txt")); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("a.txt: %v, %v; want mode 0640", info, err)
	}
	if target, err := os.Readlink(filepath.Join(out, "link")); err != nil || target != "a.txt" {
		t.Errorf("link -> %q, %v", target, err)
	}
}

func TestExtractRefusesNamesLeavingTheDirectory(t *testing.T) {
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	_ = tw.WriteHeader(&tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
	_, _ = tw.Write([]byte("x"))
	_ = tw.Close()
	dir := t.TempDir()
	err := extractTar(&archive, tarOptions{extract: true, dir: filepath.Join(dir, "in")})
	if err == nil || !strings.Contains(err.Error(), "leaves the target directory") {
		t.Fatalf("extract = %v; want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err == nil {
		t.Fatal("the file was written outside the directory")
	}
}

func TestTestTool(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	mustWrite(t, file, "x", 0o644)
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"-d", dir}, 0}, {[]string{"-d", file}, 1}, {[]string{"-f", file}, 0},
		{[]string{"-e", filepath.Join(dir, "none")}, 1}, {[]string{"-x", file}, 2}, {[]string{"-d"}, 2},
	} {
		if got := testTool(tt.args, io.Discard, io.Discard); got != tt.want {
			t.Errorf("test %q = %d; want %d", tt.args, got, tt.want)
		}
	}
}

func TestREPLAnswersLinesAndExitsWithTheCodeAsked(t *testing.T) {
	var out strings.Builder
	say := func(format string, args ...any) { out.WriteString(sprintf(format, args...)) }
	code := runREPL(strings.NewReader("hello\nsize\nexit 7\nnot read\n"), say, func() string { return "24x80" })
	if code != 7 {
		t.Errorf("exit code %d; want 7", code)
	}
	if want := "> echo: hello\n> size 24x80\n> bye\n"; out.String() != want {
		t.Errorf("output %q; want %q", out.String(), want)
	}
}

func mustWrite(t *testing.T, file, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, mode); err != nil {
		t.Fatal(err)
	}
}

func tarNames(t *testing.T, archive []byte) string {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	var names strings.Builder
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		names.WriteString(h.Name + "\n")
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
