package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The upstream e2e suite's images (test/conformance): its agnhost, built
// from the same Kubernetes version as the suite, and busybox, Debian's
// busybox-static with Debian's bash-static as sh, each under the name and tag the suite asks for
// (k8s.io/kubernetes/test/utils/image) below the registry paths that
// test/conformance's repo list maps the suite's registries to.
const (
	suiteE2ERegistryPath = "e2e-test-images" // promoterE2eRegistry
	suiteAgnhostTag      = "2.66.1"
	// The suite's "previous agnhost", for tests that change a pod's image:
	// the same binary, an image of its own (another digest).
	suiteAgnhostPrevTag = "2.55"
	suiteBusyboxTag     = "1.37.0-2"
	suiteNonewprivsTag  = "1.4"
	suiteNonrootTag     = "1.5"
	suitePauseTag       = "3.10.2" // gcRegistry is the registry's root
	suiteGlibcDNSTag    = "2.1.1"
	suiteNginxTag       = "1.27.0-2"
	// suiteNonrootUID is the user of the suite's nonroot image.
	suiteNonrootUID = "1234"
)

// The accounts the suite's images define: agnhost's image adds
// user-defined-in-image (1000) in group-defined-in-image (50000), and
// tests run as those by name.
const (
	suitePasswd = "root:x:0:0:root:/root:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/:/sbin/nologin\n" +
		"user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n"
	suiteGroup = "root:x:0:root\n" +
		"nogroup:x:65534:\n" +
		"user-defined-in-image:x:1000:\n" +
		"group-defined-in-image:x:50000:user-defined-in-image\n"
)

// suiteNsswitch has names looked up in files before DNS, as Debian's
// default: `hostname -f` finds the pod's name in the kubelet's /etc/hosts.
const suiteNsswitch = "passwd: files\ngroup: files\nhosts: files dns\n"

// suiteNginxConf runs nginx in the foreground (the container's process),
// serving /usr/share/nginx/html on port 80 as upstream's nginx image does,
// logging to the container's output.
const suiteNginxConf = `daemon off;
user nobody nogroup;
worker_processes 1;
pid /run/nginx.pid;
error_log stderr;
events {
	worker_connections 1024;
}
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	access_log /dev/stdout;
	server {
		listen 80;
		server_name localhost;
		root /usr/share/nginx/html;
		index index.html;
	}
}
`

// suiteSources are the files the suite's images are made of.
type suiteSources struct {
	agnhost []byte   // the agnhost binary (static)
	nnp     []byte   // nonewprivs' nnp binary (static)
	busybox []byte   // a static busybox
	applets []string // busybox's applets by full path, e.g. usr/bin/wget
	// shell is a static bash, the images' /bin/sh and /bin/bash. Debian's
	// busybox is 1.35, whose sh leaves variables with names such as
	// "data-1" (valid in Kubernetes since 1.34) out of its children's
	// environment: `sh -c env` would not show what the agent set. The
	// suite's busybox 1.37 passes them on, as bash does.
	shell []byte
	// tools are the host programs agnhost's image carries, with their
	// libraries (agnhostTools).
	tools []toolFile
	// certs are the TLS certificate and key upstream's agnhost image has
	// at its root (from test/images/agnhost/porter): the HTTPS lifecycle
	// hook tests run `netexec --tls-cert-file /localhost.crt`.
	certs agnhostCerts
	// fakeRegistry is /var/registry of agnhost's image: what its
	// fake-registry-server serves (fakeRegistryEntries).
	fakeRegistry []tarEntry
	// kitten are the files upstream's kitten image adds to agnhost's.
	kitten kittenFiles
	// debian is a root of Debian bookworm packages extracted side by side
	// (test/testbed/build.sh suite-debian), for the glibc-dns-testing and
	// nginx images.
	debian fs.FS
}

type agnhostCerts struct{ crt, key []byte }

// suiteModule is the tool module the suite is built from (build.sh
// conformance); its k8s.io/kubernetes holds agnhost's certificates.
const suiteModule = "test/conformance/suite"

// suiteKubernetesDir is the directory of the k8s.io/kubernetes module the
// suite was built from, which holds the files upstream's images copy in.
func suiteKubernetesDir(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "k8s.io/kubernetes")
	cmd.Dir = suiteModule
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("finding k8s.io/kubernetes of %s for the files of the suite's images (run from the repository root): %w", suiteModule, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// readAgnhostCerts reads localhost.crt and localhost.key from the
// k8s.io/kubernetes module at k8sDir, as upstream's agnhost Dockerfile
// copies them.
func readAgnhostCerts(k8sDir string) (agnhostCerts, error) {
	dir := filepath.Join(k8sDir, "test", "images", "agnhost", "porter")
	var err error
	var certs agnhostCerts
	if certs.crt, err = os.ReadFile(filepath.Join(dir, "localhost.crt")); err != nil {
		return agnhostCerts{}, fmt.Errorf("read agnhost's certificate: %w", err)
	}
	if certs.key, err = os.ReadFile(filepath.Join(dir, "localhost.key")); err != nil {
		return agnhostCerts{}, fmt.Errorf("read agnhost's key: %w", err)
	}
	return certs, nil
}

// readSuiteSources reads the agnhost and nnp binaries in binDir, the
// busybox at busyboxPath and the bash at shellPath, asks that busybox for
// its applets, and opens the Debian root at debianRoot.
func readSuiteSources(ctx context.Context, binDir, busyboxPath, shellPath, debianRoot string) (*suiteSources, error) {
	if info, err := os.Stat(debianRoot); debianRoot == "" || err != nil || !info.IsDir() {
		return nil, fmt.Errorf("-debian-root %q: give the directory of extracted Debian packages that test/testbed/build.sh suite-debian makes", debianRoot)
	}
	agnhost, err := os.ReadFile(filepath.Join(binDir, "agnhost"))
	if err != nil {
		return nil, fmt.Errorf("read agnhost (test/testbed/build.sh conformance builds it): %w", err)
	}
	nnp, err := os.ReadFile(filepath.Join(binDir, "nnp"))
	if err != nil {
		return nil, fmt.Errorf("read nnp (test/testbed/build.sh conformance builds it): %w", err)
	}
	busybox, err := os.ReadFile(busyboxPath)
	if err != nil {
		return nil, fmt.Errorf("read busybox (apt-get install busybox-static): %w", err)
	}
	shell, err := os.ReadFile(shellPath)
	if err != nil {
		return nil, fmt.Errorf("read bash (apt-get install bash-static): %w", err)
	}
	out, err := exec.CommandContext(ctx, busyboxPath, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("list the applets of %s: %w", busyboxPath, err)
	}
	var applets []string
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		if applet := strings.TrimSpace(scanner.Text()); applet != "" && applet != "bin/busybox" {
			applets = append(applets, applet)
		}
	}
	tools, err := readTools(ctx, agnhostTools)
	if err != nil {
		return nil, err
	}
	k8sDir, err := suiteKubernetesDir(ctx)
	if err != nil {
		return nil, err
	}
	certs, err := readAgnhostCerts(k8sDir)
	if err != nil {
		return nil, err
	}
	kitten, err := readKittenFiles(k8sDir)
	if err != nil {
		return nil, err
	}
	return &suiteSources{agnhost: agnhost, nnp: nnp, busybox: busybox, applets: applets, shell: shell, tools: tools, certs: certs,
		kitten: kitten, debian: os.DirFS(debianRoot)}, nil
}

// suiteImage is one image of the suite, already made.
type suiteImage struct {
	spec imageSpec // repository and tags; pkg and binary are unused
	img  v1.Image
}

// buildSuiteImages makes the busybox, agnhost, nonewprivs, nonroot,
// glibc-dns-testing, nginx and kitten images, each as upstream's
// Dockerfile makes it on its base; all are busybox underneath.
func buildSuiteImages(src *suiteSources) ([]suiteImage, error) {
	agnhostFiles := append([]tarEntry{
		fileEntry("agnhost", 0o755, src.agnhost),
		linkEntry("agnhost-2", "agnhost"),
		fileEntry("localhost.crt", 0o644, src.certs.crt),
		fileEntry("localhost.key", 0o644, src.certs.key),
		dirEntry("uploads", 0o755),
	}, toolEntries(src.tools, layoutDirs(src))...)
	agnhostFiles = append(agnhostFiles, src.fakeRegistry...)
	agnhostPorts := []string{"80/tcp", "8080/tcp", "8081/tcp", "9376/tcp", "5000/tcp"}
	nnpFiles := []tarEntry{
		dirEntry("usr/local", 0o755),
		dirEntry("usr/local/bin", 0o755),
		// Set-user-ID, as upstream's: the test checks that
		// allowPrivilegeEscalation: false keeps it from gaining root.
		fileEntry("usr/local/bin/nnp", 0o6755, src.nnp),
	}
	// glibc-dns-testing is Debian with glibc's resolver: the tests run
	// `hostname` and `hostname -f`, Debian's, dynamically linked.
	glibcFiles, err := pickDebianFiles(src.debian, []string{"bin/hostname", "usr/bin/getent"}, elfDeps)
	if err != nil {
		return nil, fmt.Errorf("glibc-dns-testing files: %w", err)
	}
	glibcFiles = append(glibcFiles, fileEntry("etc/nsswitch.conf", 0o644, []byte(suiteNsswitch)))
	nginxFiles, err := pickDebianFiles(src.debian, []string{"usr/sbin/nginx", "etc/nginx/mime.types", "usr/share/nginx/html"}, elfDeps)
	if err != nil {
		return nil, fmt.Errorf("nginx files: %w", err)
	}
	nginxFiles = append(nginxFiles,
		fileEntry("etc/nginx/nginx.conf", 0o644, []byte(suiteNginxConf)),
		// Debian's nginx keeps its temporary files in /var/lib/nginx and
		// opens /var/log/nginx before it reads its configuration.
		dirEntry("var/lib", 0o755), dirEntry("var/lib/nginx", 0o755),
		dirEntry("var/log", 0o755), dirEntry("var/log/nginx", 0o755),
		dirEntry("run", 0o755))
	nginxConfig := suiteConfig(nil, []string{"nginx"}, []string{"80/tcp"}, "")
	nginxConfig.Config.StopSignal = "SIGQUIT" // nginx's graceful stop, as upstream's image
	images := []struct {
		repository, tag, createdBy string
		config                     *v1.ConfigFile
		extra                      []tarEntry
	}{
		{"busybox", suiteBusyboxTag, "Debian busybox-static", suiteConfig(nil, []string{"sh"}, nil, ""), nil},
		{"agnhost", suiteAgnhostTag, "agnhost from k8s.io/kubernetes/test/images/agnhost",
			suiteConfig([]string{"/agnhost"}, []string{"pause"}, agnhostPorts, ""), agnhostFiles},
		{"agnhost", suiteAgnhostPrevTag, "agnhost from k8s.io/kubernetes/test/images/agnhost, as the suite's previous agnhost",
			suiteConfig([]string{"/agnhost"}, []string{"pause"}, agnhostPorts, ""), agnhostFiles},
		{"nonewprivs", suiteNonewprivsTag, "nnp from k8s.io/kubernetes/test/images/nonewprivs",
			suiteConfig(nil, []string{"nnp"}, nil, ""), nnpFiles},
		{"nonroot", suiteNonrootTag, "Debian busybox-static as user " + suiteNonrootUID,
			suiteConfig(nil, []string{"sh"}, nil, suiteNonrootUID), nil},
		{"glibc-dns-testing", suiteGlibcDNSTag, "Debian bookworm hostname and getent with glibc",
			suiteConfig(nil, []string{"bash"}, nil, ""), glibcFiles},
		{"nginx", suiteNginxTag, "Debian bookworm nginx", nginxConfig, nginxFiles},
		{"kitten", suiteKittenTag, "kitten.jpg and data.json from k8s.io/kubernetes/test/images/kitten on agnhost",
			suiteConfig([]string{"/agnhost"}, []string{"test-webserver"}, agnhostPorts, ""), kittenEntries(agnhostFiles, src.kitten)},
	}
	var out []suiteImage
	for _, image := range images {
		layer, err := writeLayer(busyboxLayout(src, image.extra))
		if err != nil {
			return nil, fmt.Errorf("pack %s layer: %w", image.repository, err)
		}
		img, err := oneLayerImage(image.config, layer, "minikubelet test/images/build: "+image.createdBy)
		if err != nil {
			return nil, fmt.Errorf("%s image: %w", image.repository, err)
		}
		out = append(out, suiteImage{imageSpec{repository: suiteE2ERegistryPath + "/" + image.repository, tags: []string{image.tag}}, img})
	}
	return out, nil
}

// busyboxLayout is a small root file system: busybox as /bin/busybox with
// a link per applet but sh, bash as /bin/bash and /bin/sh, accounts, /tmp
// and /root, with extra laid over it.
func busyboxLayout(src *suiteSources, extra []tarEntry) []tarEntry {
	dirs := layoutDirs(src)
	sorted := make([]string, 0, len(dirs))
	for dir := range dirs {
		sorted = append(sorted, dir)
	}
	sort.Strings(sorted) // parents before children, and a stable digest
	var entries []tarEntry
	for _, dir := range sorted {
		mode := int64(0o755)
		if dir == "tmp" {
			mode = 0o1777
		}
		entries = append(entries, dirEntry(dir, mode))
	}
	entries = append(entries,
		fileEntry("bin/busybox", 0o755, src.busybox),
		fileEntry("bin/bash", 0o755, src.shell),
		linkEntry("bin/sh", "/bin/bash"),
		fileEntry("etc/passwd", 0o644, []byte(suitePasswd)),
		fileEntry("etc/group", 0o644, []byte(suiteGroup)),
	)
	// Each applet where busybox lists it and, as in the suite's busybox
	// image, in /bin too: tests run /bin/sysctl, /bin/wget, ...
	linked := map[string]bool{"bin/sh": true, "bin/bash": true, "bin/busybox": true}
	for _, applet := range src.applets {
		for _, name := range []string{applet, "bin/" + path.Base(applet)} {
			if !linked[name] {
				linked[name] = true
				entries = append(entries, linkEntry(name, "/bin/busybox"))
			}
		}
	}
	// extra's files replace busybox's links of the same name (Debian's
	// hostname for busybox's).
	return overlay(entries, extra)
}

// layoutDirs are the directories busyboxLayout makes.
func layoutDirs(src *suiteSources) map[string]bool {
	dirs := map[string]bool{"bin": true, "etc": true, "home": true, "root": true, "tmp": true, "var": true, "home/user-defined-in-image": true}
	for _, applet := range src.applets {
		for dir := path.Dir(applet); dir != "." && dir != "/"; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	return dirs
}

func suiteConfig(entrypoint, cmd, ports []string, user string) *v1.ConfigFile {
	return imageConfig(v1.Config{Entrypoint: entrypoint, Cmd: cmd, User: user,
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}, ports)
}
