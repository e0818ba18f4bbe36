package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseLdd(t *testing.T) {
	out := []byte(`	linux-vdso.so.1 (0x00007ffd3a5f2000)
	libcurl.so.4 => /lib/x86_64-linux-gnu/libcurl.so.4 (0x00007f9670ee3000)
	libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f9670ec4000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f9670fea000)
`)
	got, err := parseLdd(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/x86_64-linux-gnu/libcurl.so.4", "/lib/x86_64-linux-gnu/libz.so.1", "/lib64/ld-linux-x86-64.so.2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("libraries %v, want %v", got, want)
	}
	if _, err := parseLdd([]byte("\tlibgone.so.1 => not found\n")); err == nil || !strings.Contains(err.Error(), "libgone.so.1") {
		t.Errorf("a missing library: err %v, want one naming libgone.so.1", err)
	}
}

// TestAgnhostToolsRunInTheImage: the curl and nc the agnhost image gets
// run in a root file system of only the image's tool files, as the
// networking tests use them: curl fetches a URL, nc -u sends a datagram.
// Needs root (chroot) and the host's curl and netcat-openbsd.
func TestAgnhostToolsRunInTheImage(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chroot")
	}
	files, err := readTools(context.Background(), agnhostTools)
	if err != nil {
		t.Skipf("host tools missing: %v", err)
	}
	root := t.TempDir()
	if err := extract(root, toolEntries(files, nil)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "netserver-0") }))
	defer srv.Close()
	if out, err := inRoot(root, "/usr/local/bin/curl", "-g", "-q", "-s", "--max-time", "5", srv.URL+"/hostName"); err != nil || out != "netserver-0" {
		t.Errorf("curl in the image: %q, %v; want netserver-0", out, err)
	}

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 64)
		n, _, _ := udp.ReadFrom(buf)
		got <- string(buf[:n])
	}()
	port := udp.LocalAddr().(*net.UDPAddr).Port
	cmd := exec.Command("/usr/local/bin/nc", "-w", "1", "-u", "127.0.0.1", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Stdin = strings.NewReader("hostName\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nc -u in the image: %v: %s", err, out)
	}
	select {
	case msg := <-got:
		if msg != "hostName\n" {
			t.Errorf("nc -u sent %q, want hostName", msg)
		}
	case <-time.After(5 * time.Second):
		t.Error("nc -u in the image sent nothing")
	}
}

func inRoot(root string, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// extract writes layer entries under root, as a runtime unpacks a layer.
func extract(root string, entries []tarEntry) error {
	for _, e := range entries {
		name := filepath.Join(root, e.header.Name)
		var err error
		switch e.header.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, fs.FileMode(e.header.Mode))
		case tar.TypeReg:
			err = os.WriteFile(name, e.content, fs.FileMode(e.header.Mode))
		case tar.TypeSymlink:
			err = os.Symlink(e.header.Linkname, name)
		default:
			err = errors.New("unknown entry type")
		}
		if err != nil {
			return fmt.Errorf("extract %s: %w", e.header.Name, err)
		}
	}
	return nil
}
