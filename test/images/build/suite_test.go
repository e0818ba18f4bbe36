package main

import (
	"archive/tar"
	"io"
	"strings"
	"testing"
	"testing/fstest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The suite's tests run commands by path (/bin/sh -c, /agnhost, wget, ...)
// and as users by name: the images must have them where the suite looks.
func TestSuiteImagesHaveWhatTheSuiteRuns(t *testing.T) {
	src := &suiteSources{
		agnhost: []byte("agnhost binary"),
		nnp:     []byte("nnp binary"),
		busybox: []byte("busybox binary"),
		shell:   []byte("bash binary"),
		applets: []string{"bin/sh", "bin/ls", "bin/hostname", "bin/sleep", "usr/bin/wget", "usr/bin/nc", "sbin/ifconfig"},
		tools: []toolFile{{"usr/local/bin/curl", 0o755, []byte("curl")}, {"usr/local/bin/nc", 0o755, []byte("nc")},
			{"lib/x86_64-linux-gnu/libcurl.so.4", 0o755, []byte("libcurl")}, {"lib64/ld-linux-x86-64.so.2", 0o755, []byte("ld.so")}},
		kitten: kittenFiles{jpg: []byte("kitten"), json: []byte(`{"image": "kitten.jpg"}`)},
		debian: suiteDebianFS(),
	}
	images, err := buildSuiteImages(src)
	if err != nil {
		t.Fatal(err)
	}
	byRepo := map[string]v1.Image{}
	for _, image := range images {
		byRepo[image.spec.repository+":"+image.spec.tags[0]] = image.img
	}
	for repo, want := range map[string]struct {
		entrypoint, cmd, user string
		files                 []string
	}{
		"e2e-test-images/busybox:1.37.0-2": {"", "sh", "", []string{"bin/busybox", "bin/sh", "usr/bin/wget", "bin/wget", "sbin/ifconfig", "bin/ifconfig", "etc/passwd", "tmp/"}},
		"e2e-test-images/agnhost:2.66.1": {"/agnhost", "pause", "", []string{"agnhost", "agnhost-2", "localhost.crt", "localhost.key", "bin/sh", "uploads/", "etc/group",
			"usr/local/bin/curl", "usr/local/bin/nc", "usr/bin/nc", "lib/x86_64-linux-gnu/libcurl.so.4", "lib64/ld-linux-x86-64.so.2"}},
		"e2e-test-images/agnhost:2.55":   {"/agnhost", "pause", "", []string{"agnhost", "bin/sh", "usr/local/bin/curl", "usr/local/bin/nc"}},
		"e2e-test-images/nonewprivs:1.4": {"", "nnp", "", []string{"usr/local/bin/nnp", "bin/sh"}},
		"e2e-test-images/nonroot:1.5":    {"", "sh", "1234", []string{"bin/sh"}},
		// The hostname override tests run sh -c 'echo $(hostname)...$(hostname -f)'.
		"e2e-test-images/glibc-dns-testing:2.1.1": {"", "bash", "", []string{"bin/hostname", "usr/bin/getent", "etc/nsswitch.conf", "bin/sh"}},
		// A pod updated to nginx keeps its command: /bin/sh -c "sleep 5".
		// The ImageVolume test mounts kitten and reads data.json and
		// etc/os-release; it serves its files as upstream's does.
		"e2e-test-images/kitten:1.8":     {"/agnhost", "test-webserver", "", []string{"agnhost", "kitten.jpg", "data.json", "etc/os-release", "bin/sh"}},
		"e2e-test-images/nginx:1.27.0-2": {"", "nginx", "", []string{"usr/sbin/nginx", "etc/nginx/nginx.conf", "etc/nginx/mime.types", "usr/share/nginx/html/index.html", "var/lib/nginx/", "var/log/nginx/", "run/", "bin/sh", "bin/sleep"}},
	} {
		img := byRepo[repo]
		if img == nil {
			t.Errorf("no image %s", repo)
			continue
		}
		config, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(config.Config.Entrypoint, " "); got != want.entrypoint {
			t.Errorf("%s entrypoint %q, want %q", repo, got, want.entrypoint)
		}
		if got := strings.Join(config.Config.Cmd, " "); got != want.cmd {
			t.Errorf("%s cmd %q, want %q", repo, got, want.cmd)
		}
		if config.Config.User != want.user {
			t.Errorf("%s user %q, want %q", repo, config.Config.User, want.user)
		}
		entries := layerEntries(t, img)
		for _, file := range want.files {
			if _, ok := entries[file]; !ok {
				t.Errorf("%s has no %s", repo, file)
			}
		}
		if sh := entries["bin/sh"]; sh.Typeflag != tar.TypeSymlink || sh.Linkname != "/bin/bash" {
			t.Errorf("%s /bin/sh is %+v, want a link to /bin/bash (busybox 1.35's sh drops variables like data-1)", repo, sh)
		}
		if nnp := entries["usr/local/bin/nnp"]; nnp != nil && nnp.Mode&0o4000 == 0 {
			t.Errorf("%s nnp mode %o, want set-user-ID", repo, nnp.Mode)
		}
		if hostname := entries["bin/hostname"]; strings.HasPrefix(repo, "e2e-test-images/glibc-dns-testing:") && hostname.Typeflag != tar.TypeReg {
			t.Errorf("%s /bin/hostname is %+v, want Debian's hostname (glibc's resolver), not busybox's", repo, hostname)
		}
		if ls := entries["bin/ls"]; ls.Typeflag != tar.TypeSymlink || ls.Linkname != "/bin/busybox" {
			t.Errorf("%s /bin/ls is %+v, want a link to /bin/busybox", repo, ls)
		}
	}
}

// suiteDebianFS is what the suite's images take from the Debian packages.
func suiteDebianFS() fstest.MapFS {
	root := debianRootFS()
	root["bin/hostname"] = &fstest.MapFile{Data: []byte("hostname"), Mode: 0o755}
	root["usr/bin/getent"] = &fstest.MapFile{Data: []byte("getent"), Mode: 0o755}
	return root
}

// nginx runs in the foreground, the container's process, on port 80.
func TestSuiteNginxServesInTheForeground(t *testing.T) {
	images, err := buildSuiteImages(&suiteSources{agnhost: []byte("a"), nnp: []byte("n"), busybox: []byte("b"), shell: []byte("s"), debian: suiteDebianFS()})
	if err != nil {
		t.Fatal(err)
	}
	for _, image := range images {
		if image.spec.repository != "e2e-test-images/nginx" {
			continue
		}
		config, err := image.img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := config.Config.ExposedPorts["80/tcp"]; !ok {
			t.Errorf("nginx exposes %v, want 80/tcp", config.Config.ExposedPorts)
		}
		conf := layerFile(t, image.img, "etc/nginx/nginx.conf")
		for _, want := range []string{"daemon off;", "listen 80;", "include /etc/nginx/mime.types;", "error_log stderr;"} {
			if !strings.Contains(conf, want) {
				t.Errorf("nginx.conf has no %q:\n%s", want, conf)
			}
		}
		return
	}
	t.Fatal("no nginx image")
}

func layerFile(t *testing.T, img v1.Image, name string) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no %s in the layer: %v", name, err)
		}
		if h.Name == name {
			content, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(content)
		}
	}
}

func layerEntries(t *testing.T, img v1.Image) map[string]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want one", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h
	}
}

func TestSuiteAgnhostTagsAreDistinctImages(t *testing.T) {
	images, err := buildSuiteImages(&suiteSources{agnhost: []byte("a"), nnp: []byte("n"), busybox: []byte("b"), shell: []byte("s"), debian: suiteDebianFS()})
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]bool{}
	for _, image := range images {
		d, err := image.img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if digests[d.String()] {
			t.Errorf("%s:%s has the digest of another image; a test that changes a pod's image would see no change", image.spec.repository, image.spec.tags[0])
		}
		digests[d.String()] = true
	}
}
