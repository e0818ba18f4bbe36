package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runKubia runs the CLI as main would and returns exit code and output.
func runKubia(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestWriteCatCheckRm(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "unhealthy")
	if code, _, stderr := runKubia("check", file); code != 0 {
		t.Fatalf("check of a missing file = %d (%s), want 0", code, stderr)
	}
	if code, _, stderr := runKubia("write", file, "hello", "world"); code != 0 {
		t.Fatalf("write = %d: %s", code, stderr)
	}
	if code, stdout, _ := runKubia("cat", file); code != 0 || stdout != "hello world" {
		t.Fatalf("cat = %d %q, want 0 %q", code, stdout, "hello world")
	}
	if code, _, _ := runKubia("check", file); code != 1 {
		t.Fatalf("check of an existing file = %d, want 1", code)
	}
	if code, _, stderr := runKubia("rm", file); code != 0 {
		t.Fatalf("rm = %d: %s", code, stderr)
	}
	if code, _, stderr := runKubia("rm", file); code != 1 || !strings.Contains(stderr, file) {
		t.Fatalf("second rm = %d %q, want 1 naming the file", code, stderr)
	}
	if code, _, stderr := runKubia("cat", file); code != 1 || !strings.Contains(stderr, file) {
		t.Fatalf("cat of a missing file = %d %q, want 1 naming the file", code, stderr)
	}
}

func TestLnMakesAndReplacesSymlinks(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "conf")
	if code, _, stderr := runKubia("ln", "-s", "/", link); code != 0 {
		t.Fatalf("ln -s = %d: %s", code, stderr)
	}
	if target, err := os.Readlink(link); err != nil || target != "/" {
		t.Fatalf("link points to %q, %v; want /", target, err)
	}
	if code, _, stderr := runKubia("ln", "-s", "/etc", link); code != 1 || !strings.Contains(stderr, "exists") {
		t.Fatalf("ln -s over an existing link = %d %q, want 1 saying it exists", code, stderr)
	}
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(link, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runKubia("ln", "-s", "-f", "/etc", link); code != 0 {
		t.Fatalf("ln -s -f over an empty directory = %d: %s", code, stderr)
	}
	if target, err := os.Readlink(link); err != nil || target != "/etc" {
		t.Fatalf("link points to %q, %v; want /etc", target, err)
	}
	if code, _, _ := runKubia("ln", "/etc", link); code != 2 {
		t.Fatalf("ln without -s = %d, want the usage error 2", code)
	}
}

func TestGet(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "body here")
	}))
	defer backend.Close()

	if code, stdout, stderr := runKubia("get", backend.URL+"/ok"); code != 0 || stdout != "body here" {
		t.Fatalf("get = %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runKubia("get", backend.URL+"/fail"); code != 1 || !strings.Contains(stderr, "500") {
		t.Fatalf("get of a 500 = %d %q, want 1 naming the status", code, stderr)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if code, _, stderr := runKubia("get", "-timeout", "1s", closed.URL); code != 1 || !strings.Contains(stderr, "GET") {
		t.Fatalf("get of a closed port = %d %q, want 1", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"get"}, {"write", "only-file"}, {"sleep"}, {"sleep", "soon"}, {"check", "a", "b"}, {"id", "x"}, {"frobnicate"}} {
		if code, _, stderr := runKubia(args...); code != 2 || stderr == "" {
			t.Errorf("kubia %q = %d %q, want exit 2 with a message", args, code, stderr)
		}
	}
}

func TestSleepAndParseSleep(t *testing.T) {
	start := time.Now()
	if code, _, stderr := runKubia("sleep", "0.05"); code != 0 {
		t.Fatalf("sleep = %d %s", code, stderr)
	}
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Fatalf("sleep 0.05 returned after %v", elapsed)
	}
	for text, want := range map[string]time.Duration{"2": 2 * time.Second, "1.5s": 1500 * time.Millisecond, "3m": 3 * time.Minute} {
		if got, err := parseSleep(text); err != nil || got != want {
			t.Errorf("parseSleep(%q) = %v, %v; want %v", text, got, err, want)
		}
	}
	if _, err := parseSleep("-1"); err == nil {
		t.Error("parseSleep(-1) accepted a negative duration")
	}
}

func TestIDReadsOwnStatus(t *testing.T) {
	code, stdout, stderr := runKubia("id")
	if code != 0 || !strings.HasPrefix(stdout, "uid=") || !strings.Contains(stdout, "CapEff=") {
		t.Fatalf("id = %d %q %q", code, stdout, stderr)
	}
}
