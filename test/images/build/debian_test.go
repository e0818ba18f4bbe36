package main

import (
	"archive/tar"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeELF is a file fakeDeps reads as an ELF file needing libraries:
// "ELF interp=/lib64/ld.so needs=libc.so.6,libz.so.1".
func fakeELF(interp string, needed ...string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("ELF interp=" + interp + " needs=" + strings.Join(needed, ",")), Mode: 0o755}
}

func fakeDeps(content []byte) (string, []string, bool, error) {
	text, ok := strings.CutPrefix(string(content), "ELF ")
	if !ok {
		return "", nil, false, nil
	}
	interpField, neededField, _ := strings.Cut(text, " ")
	interp := strings.TrimPrefix(interpField, "interp=")
	var needed []string
	if list := strings.TrimPrefix(neededField, "needs="); list != "" {
		needed = strings.Split(list, ",")
	}
	return interp, needed, true, nil
}

func symlink(target string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
}

// A Debian root as dpkg-deb -x leaves it: nginx, its libraries in both
// library directories, versioned links, the loader behind an absolute link.
func debianRootFS() fstest.MapFS {
	return fstest.MapFS{
		"usr/sbin/nginx":                              fakeELF("/lib64/ld-linux-x86-64.so.2", "libssl.so.3", "libz.so.1", "libc.so.6"),
		"lib64/ld-linux-x86-64.so.2":                  symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
		"lib/x86_64-linux-gnu/ld-linux-x86-64.so.2":   fakeELF(""),
		"lib/x86_64-linux-gnu/libc.so.6":              fakeELF("/lib64/ld-linux-x86-64.so.2"),
		"lib/x86_64-linux-gnu/libz.so.1":              symlink("libz.so.1.2.13"),
		"lib/x86_64-linux-gnu/libz.so.1.2.13":         fakeELF("", "libc.so.6"),
		"usr/lib/x86_64-linux-gnu/libssl.so.3":        fakeELF("", "libcrypto.so.3", "libc.so.6"),
		"usr/lib/x86_64-linux-gnu/libcrypto.so.3":     fakeELF("", "libc.so.6"),
		"usr/lib/x86_64-linux-gnu/libunused.so.1":     fakeELF("", "libc.so.6"),
		"usr/share/nginx/html/index.html":             {Data: []byte("<html>"), Mode: 0o644},
		"etc/nginx/mime.types":                        {Data: []byte("types {}"), Mode: 0o644},
		"etc/nginx/sites-available/default":           {Data: []byte("server {}"), Mode: 0o644},
		"usr/lib/x86_64-linux-gnu/engines-3/afalg.so": fakeELF("", "libcrypto.so.3"),
	}
}

func entryNames(entries []tarEntry) []string {
	var names []string
	for _, entry := range entries {
		names = append(names, entry.header.Name)
	}
	return names
}

// An image takes a program with exactly what the loader needs to start
// it: its libraries wherever Debian put them, the links it loads them
// by and what they point to, and the loader; nothing else of the packages.
func TestPickDebianFilesTakesTheLibraryClosure(t *testing.T) {
	entries, err := pickDebianFiles(debianRootFS(), []string{"usr/sbin/nginx", "etc/nginx/mime.types", "usr/share/nginx/html"}, fakeDeps)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"etc/",
		"etc/nginx/",
		"etc/nginx/mime.types",
		"lib/",
		"lib/x86_64-linux-gnu/",
		"lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"lib/x86_64-linux-gnu/libc.so.6",
		"lib/x86_64-linux-gnu/libz.so.1",
		"lib/x86_64-linux-gnu/libz.so.1.2.13",
		"lib64/",
		"lib64/ld-linux-x86-64.so.2",
		"usr/",
		"usr/lib/",
		"usr/lib/x86_64-linux-gnu/",
		"usr/lib/x86_64-linux-gnu/libcrypto.so.3",
		"usr/lib/x86_64-linux-gnu/libssl.so.3",
		"usr/sbin/",
		"usr/sbin/nginx",
		"usr/share/",
		"usr/share/nginx/",
		"usr/share/nginx/html/",
		"usr/share/nginx/html/index.html",
	}
	if got := entryNames(entries); !reflect.DeepEqual(got, want) {
		t.Errorf("picked\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	byName := map[string]tarEntry{}
	for _, entry := range entries {
		byName[entry.header.Name] = entry
	}
	if loader := byName["lib64/ld-linux-x86-64.so.2"].header; loader.Typeflag != tar.TypeSymlink || loader.Linkname != "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" {
		t.Errorf("loader link %+v, want the link Debian ships", loader)
	}
	if nginx := byName["usr/sbin/nginx"]; nginx.header.Mode != 0o755 || !strings.HasPrefix(string(nginx.content), "ELF") {
		t.Errorf("nginx mode %o content %q, want the file as it is, executable", nginx.header.Mode, nginx.content)
	}
}

func TestPickDebianFilesNamesWhatIsMissing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		root  fstest.MapFS
		picks []string
		want  []string
	}{
		{"a program not in the packages", fstest.MapFS{}, []string{"bin/hostname"},
			[]string{"bin/hostname is not in the Debian root", "SUITE_DEBIAN_PACKAGES"}},
		{"a library not in the packages", fstest.MapFS{"bin/hostname": fakeELF("", "libc.so.6")}, []string{"bin/hostname"},
			[]string{"bin/hostname: library libc.so.6 is in none of lib/x86_64-linux-gnu", "SUITE_DEBIAN_PACKAGES"}},
		{"a link whose target is missing", fstest.MapFS{"lib64/ld.so": symlink("/lib/ld.so")}, []string{"lib64/ld.so"},
			[]string{"lib/ld.so is not in the Debian root", "needed by lib64/ld.so"}},
		{"a link out of the root", fstest.MapFS{"lib64/ld.so": symlink("../../etc/shadow")}, []string{"lib64/ld.so"},
			[]string{`"../etc/shadow" leaves the Debian root`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pickDebianFiles(tc.root, tc.picks, fakeDeps)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// Debian's hostname replaces busybox's hostname link where it stands; a
// directory both layouts have stays one entry.
func TestOverlayReplacesFilesAndKeepsDirectoriesOnce(t *testing.T) {
	base := []tarEntry{dirEntry("bin", 0o755), linkEntry("bin/hostname", "/bin/busybox"), linkEntry("bin/ls", "/bin/busybox")}
	top := []tarEntry{dirEntry("bin", 0o700), fileEntry("bin/hostname", 0o755, []byte("debian")), dirEntry("lib", 0o755)}
	got := overlay(base, top)
	if names, want := entryNames(got), []string{"bin/", "bin/hostname", "bin/ls", "lib/"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	if got[0].header.Mode != 0o755 {
		t.Errorf("bin mode %o, want base's 755", got[0].header.Mode)
	}
	if got[1].header.Typeflag != tar.TypeReg || string(got[1].content) != "debian" {
		t.Errorf("bin/hostname is %+v, want Debian's file", got[1].header)
	}
}

func TestElfDepsReadsELFAndSkipsOtherFiles(t *testing.T) {
	if _, _, isELF, err := elfDeps([]byte("#!/bin/sh\n")); isELF || err != nil {
		t.Errorf("a script read as ELF %v, error %v", isELF, err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, isELF, err := elfDeps(content); !isELF || err != nil {
		t.Errorf("the test binary read as ELF %v, error %v", isELF, err)
	}
}
