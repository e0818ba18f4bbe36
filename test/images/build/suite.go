package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The upstream e2e suite's images (test/conformance): its agnhost, built
// from the same Kubernetes version as the suite, and busybox, Debian's
// busybox-static, each under the name and tag the suite asks for
// (k8s.io/kubernetes/test/utils/image) below the registry paths that
// test/conformance's repo list maps the suite's registries to.
const (
	suiteE2ERegistryPath = "e2e-test-images" // promoterE2eRegistry
	suiteAgnhostTag      = "2.66.1"
	suiteBusyboxTag      = "1.37.0-2"
	suitePauseTag        = "3.10.2" // gcRegistry is the registry's root
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

// suiteSources are the files the suite's images are made of.
type suiteSources struct {
	agnhost []byte   // the agnhost binary (static)
	busybox []byte   // a static busybox
	applets []string // busybox's applets by full path, e.g. usr/bin/wget
}

// readSuiteSources reads the agnhost binary at agnhostPath and the busybox
// at busyboxPath, and asks that busybox for its applets.
func readSuiteSources(ctx context.Context, agnhostPath, busyboxPath string) (*suiteSources, error) {
	agnhost, err := os.ReadFile(agnhostPath)
	if err != nil {
		return nil, fmt.Errorf("read agnhost (test/testbed/build.sh conformance builds it): %w", err)
	}
	busybox, err := os.ReadFile(busyboxPath)
	if err != nil {
		return nil, fmt.Errorf("read busybox (apt-get install busybox-static): %w", err)
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
	return &suiteSources{agnhost: agnhost, busybox: busybox, applets: applets}, nil
}

// suiteImage is one image of the suite, already made.
type suiteImage struct {
	spec imageSpec // repository and tags; pkg and binary are unused
	img  v1.Image
}

// buildSuiteImages makes the busybox and agnhost images.
func buildSuiteImages(src *suiteSources) ([]suiteImage, error) {
	busyboxLayer, err := writeLayer(busyboxLayout(src, nil))
	if err != nil {
		return nil, fmt.Errorf("pack busybox layer: %w", err)
	}
	// As the suite's busybox image: sh when no command is given.
	busybox, err := oneLayerImage(suiteConfig(nil, []string{"sh"}, nil), busyboxLayer, "minikubelet test/images/build: Debian busybox-static")
	if err != nil {
		return nil, fmt.Errorf("busybox image: %w", err)
	}
	agnhostLayer, err := writeLayer(busyboxLayout(src, []tarEntry{
		fileEntry("agnhost", 0o755, src.agnhost),
		linkEntry("agnhost-2", "agnhost"),
		dirEntry("uploads", 0o755),
	}))
	if err != nil {
		return nil, fmt.Errorf("pack agnhost layer: %w", err)
	}
	// As upstream's agnhost image: ENTRYPOINT /agnhost, CMD pause, and the
	// ports its Dockerfile exposes.
	agnhost, err := oneLayerImage(suiteConfig([]string{"/agnhost"}, []string{"pause"}, []string{"80/tcp", "8080/tcp", "8081/tcp", "9376/tcp", "5000/tcp"}),
		agnhostLayer, "minikubelet test/images/build: agnhost from k8s.io/kubernetes/test/images/agnhost")
	if err != nil {
		return nil, fmt.Errorf("agnhost image: %w", err)
	}
	return []suiteImage{
		{imageSpec{repository: suiteE2ERegistryPath + "/busybox", tags: []string{suiteBusyboxTag}}, busybox},
		{imageSpec{repository: suiteE2ERegistryPath + "/agnhost", tags: []string{suiteAgnhostTag}}, agnhost},
	}, nil
}

// busyboxLayout is a small root file system: busybox as /bin/busybox with
// a link per applet, accounts, /tmp and /root, then extra.
func busyboxLayout(src *suiteSources, extra []tarEntry) []tarEntry {
	dirs := map[string]bool{"bin": true, "etc": true, "home": true, "root": true, "tmp": true, "var": true, "home/user-defined-in-image": true}
	for _, applet := range src.applets {
		for dir := path.Dir(applet); dir != "." && dir != "/"; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
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
		fileEntry("etc/passwd", 0o644, []byte(suitePasswd)),
		fileEntry("etc/group", 0o644, []byte(suiteGroup)),
	)
	for _, applet := range src.applets {
		entries = append(entries, linkEntry(applet, "/bin/busybox"))
	}
	return append(entries, extra...)
}

func suiteConfig(entrypoint, cmd, ports []string) *v1.ConfigFile {
	exposed := map[string]struct{}{}
	for _, port := range ports {
		exposed[port] = struct{}{}
	}
	return &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint:   entrypoint,
			Cmd:          cmd,
			Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			WorkingDir:   "/",
			ExposedPorts: exposed,
		},
	}
}
