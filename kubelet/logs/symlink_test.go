package logs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A container with a hostPath mount of its log directory can put links and
// special files where the agent reads, renames and writes as root. These
// tests plant them and check that no host file is read into the directory,
// served as log lines, or overwritten.

// secretLine is the content of a host file no container may read: in the
// CRI format, so a reader that followed a link would serve it as a line.
const secretLine = "host-secret-4f1c"

// hostFiles returns a host file holding the secret and a victim file that
// must keep its content, both outside any log directory.
func hostFiles(t *testing.T) (secret, victim string) {
	t.Helper()
	dir := t.TempDir()
	secret, victim = filepath.Join(dir, "secret"), filepath.Join(dir, "victim")
	writeFile(t, secret, criLine(at(0), "stdout", false, secretLine))
	writeFile(t, victim, "victim content")
	return secret, victim
}

// checkNoLeak fails if any file in dir (gzip ones decompressed) holds the
// secret, or if the host files changed.
func checkNoLeak(t *testing.T, dir, secret, victim string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		data, _ := os.ReadFile(path)
		if zr, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			data, _ = io.ReadAll(zr)
		}
		if bytes.Contains(data, []byte(secretLine)) {
			t.Errorf("%s in the log directory holds the host file's content", e.Name())
		}
	}
	if got, _ := os.ReadFile(secret); !strings.Contains(string(got), secretLine) {
		t.Errorf("host secret file changed: %q", got)
	}
	if got, _ := os.ReadFile(victim); string(got) != "victim content" {
		t.Errorf("host victim file overwritten: %q", got)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A link named like an old rotated file would be compressed, copying the
// host file into the directory.
func TestRotatorDoesNotCompressALinkPlantedAsRotatedFile(t *testing.T) {
	dir, path := logDir(t)
	secret, victim := hostFiles(t)
	rt, _ := newFakeRuntime(path)
	symlink(t, secret, rotatedPath(path, at(1)))
	writeFile(t, rotatedPath(path, at(2)), fullLines("r", 0, 2))
	writeFile(t, rotatedPath(path, at(3)), fullLines("r", 2, 4))
	r := newTestRotator(t, rt, RotatorConfig{MaxFiles: 10})
	r.RotateOnce(t.Context())
	checkNoLeak(t, dir, secret, victim)
	if _, err := os.Stat(rotatedPath(path, at(2)) + compressedSuffix); err != nil {
		t.Errorf("the real rotated file was not compressed: %v", err)
	}
}

// The rotator removes stale temporaries first, but a container can plant
// the temporary file's name again before the compression opens it: here
// at the reopen, between the two. A link at the .gz name must not be
// written through either.
func TestRotatorDoesNotWriteThroughLinksPlantedAsTempAndGzip(t *testing.T) {
	dir, path := logDir(t)
	secret, victim := hostFiles(t)
	rt, _ := newFakeRuntime(path)
	older := rotatedPath(path, at(1))
	writeFile(t, older, fullLines("r", 0, 2))
	rt.write(fullLines("l", 2, 10))
	rt.onReopen = func() {
		symlink(t, victim, older+compressedSuffix+tmpSuffix)
		symlink(t, victim, older+compressedSuffix)
	}
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100, MaxFiles: 10})
	r.RotateOnce(t.Context())
	if rt.reopens.Load() != 1 {
		t.Fatalf("reopens = %d, want the live file rotated once", rt.reopens.Load())
	}
	checkNoLeak(t, dir, secret, victim)
	if got, _ := readAll(t, path, Options{}); got != numbered("r", 0, 2)+numbered("l", 2, 10) {
		t.Errorf("log after rotation = %q", got)
	}
}

// A link put in place of the live file is never renamed into a rotated
// name and compressed later; the runtime gets a fresh file.
func TestRotatorReplacesALinkPlantedAsLiveFile(t *testing.T) {
	dir, path := logDir(t)
	secret, victim := hostFiles(t)
	appendFile(t, secret, strings.Repeat(criLine(at(0), "stdout", false, "padding"), 20))
	rt, _ := newFakeRuntime(path)
	os.Remove(path)
	symlink(t, secret, path)
	now := at(100)
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100, MaxFiles: 10, Now: func() time.Time { now = now.Add(time.Second); return now }})
	for i := range 3 {
		r.RotateOnce(t.Context())
		rt.write(fullLines("l", i*10, i*10+10))
	}
	checkNoLeak(t, dir, secret, victim)
	if info, err := os.Lstat(path); err != nil || !info.Mode().IsRegular() {
		t.Errorf("live log after rotation: %v, %v; want a regular file", info, err)
	}
}

// With the pod's log directory mounted, a container can swap its container
// directory for a link to a host directory; the rotator must not rename,
// compress or prune there.
func TestRotatorDoesNotFollowALinkedContainerDirectory(t *testing.T) {
	dir, path := logDir(t)
	hostDir := t.TempDir()
	host := filepath.Join(hostDir, "0.log")
	names := []string{rotatedPath(host, at(1)), rotatedPath(host, at(2)), host}
	for _, name := range names {
		writeFile(t, name, strings.Repeat(fullLines("host", 0, 10), 5))
	}
	os.RemoveAll(dir)
	symlink(t, hostDir, dir)
	rt := &fakeRuntime{id: "c0ffee", path: path}
	rt.running.Store(true)
	r := newTestRotator(t, rt, RotatorConfig{MaxSize: 100, MaxFiles: 2})
	r.RotateOnce(t.Context())
	for _, name := range names {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("host file %s: %v", filepath.Base(name), err)
		}
	}
	if got := dirNames(t, hostDir); len(got) != len(names) {
		t.Errorf("host directory now holds %v", got)
	}
}

// A FIFO (or device) named like a rotated file would block or read a
// device; the rotator leaves it alone and finishes its pass.
func TestRotatorSkipsNonRegularFiles(t *testing.T) {
	_, path := logDir(t)
	rt, _ := newFakeRuntime(path)
	if err := syscall.Mkfifo(rotatedPath(path, at(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, rotatedPath(path, at(2)), fullLines("r", 0, 2))
	writeFile(t, rotatedPath(path, at(3)), fullLines("r", 2, 4))
	r := newTestRotator(t, rt, RotatorConfig{MaxFiles: 10})
	done := make(chan error, 1)
	go func() { done <- r.RotateOnce(t.Context()) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RotateOnce blocked on a FIFO planted as a rotated log")
	}
	if _, err := os.Stat(rotatedPath(path, at(2)) + compressedSuffix); err != nil {
		t.Errorf("the real rotated file was not compressed: %v", err)
	}
}

// The reader serves a container's log to whoever may read it, so links in
// place of the live file, a rotated file or a compressed one must not
// serve host files.
func TestReadDoesNotFollowPlantedLinks(t *testing.T) {
	secret, _ := hostFiles(t)
	secretGz := filepath.Join(t.TempDir(), "secret.gz")
	writeGzip(t, secretGz, criLine(at(0), "stdout", false, secretLine))
	cases := map[string]func(path string){
		"live":    func(path string) { symlink(t, secret, path) },
		"rotated": func(path string) { symlink(t, secret, rotatedPath(path, at(1))); writeFile(t, path, "") },
		"compressed": func(path string) {
			symlink(t, secretGz, rotatedPath(path, at(1))+compressedSuffix)
			writeFile(t, path, "")
		},
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			_, path := logDir(t)
			writeFile(t, rotatedPath(path, at(2)), fullLines("r", 0, 2))
			plant(path)
			for _, opts := range []Options{{}, {Tail: true, TailLines: 10}} {
				var out bytes.Buffer
				ReadLogs(t.Context(), Request{Path: path, Options: opts}, &out)
				if strings.Contains(out.String(), secretLine) || out.String() != "r0\nr1\n" {
					t.Errorf("read %+v = %q, want only the real lines", opts, out.String())
				}
			}
		})
	}
}

// A FIFO planted as a rotated file must not block a read.
func TestReadSkipsNonRegularFiles(t *testing.T) {
	_, path := logDir(t)
	if err := syscall.Mkfifo(rotatedPath(path, at(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, fullLines("l", 2, 4))
	done := make(chan string, 1)
	go func() {
		var out bytes.Buffer
		ReadLogs(t.Context(), Request{Path: path}, &out)
		done <- out.String()
	}()
	select {
	case got := <-done:
		if got != "l2\nl3\n" {
			t.Errorf("read = %q", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadLogs blocked on a FIFO planted as a rotated log")
	}
}
