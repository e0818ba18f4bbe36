package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// The suite's kitten image (test/images/kitten upstream): agnhost's image
// with kitten.jpg and data.json at its root, serving them with agnhost's
// test-webserver. The ImageVolume conformance test mounts it as an image
// volume and reads data.json and etc/os-release from it.
const suiteKittenTag = "1.8"

// suiteKittenOSRelease is the /etc/os-release of upstream's kitten image,
// whose agnhost base is alpine:3.21; the ImageVolume test checks that the
// mounted image's etc/os-release is that one ("Alpine Linux"). Ours is
// busybox underneath (buildSuiteImages), and no Alpine file system is
// at hand offline, so the file is written with Alpine 3.21's fields
// (without a patch level, which upstream's build does not pin); it is the
// only Alpine thing in the image.
const suiteKittenOSRelease = `NAME="Alpine Linux"
ID=alpine
PRETTY_NAME="Alpine Linux v3.21"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`

type kittenFiles struct{ jpg, json []byte }

// readKittenFiles reads html/kitten.jpg and html/data.json of the
// k8s.io/kubernetes module at k8sDir, as upstream's kitten Dockerfile
// copies them.
func readKittenFiles(k8sDir string) (kittenFiles, error) {
	dir := filepath.Join(k8sDir, "test", "images", "kitten", "html")
	var files kittenFiles
	var err error
	if files.jpg, err = os.ReadFile(filepath.Join(dir, "kitten.jpg")); err != nil {
		return kittenFiles{}, fmt.Errorf("read kitten's picture: %w", err)
	}
	if files.json, err = os.ReadFile(filepath.Join(dir, "data.json")); err != nil {
		return kittenFiles{}, fmt.Errorf("read kitten's data.json: %w", err)
	}
	return files, nil
}

// kittenEntries are the kitten image's files over busybox: agnhost's, the
// two kitten files at the root and the os-release.
func kittenEntries(agnhostFiles []tarEntry, kitten kittenFiles) []tarEntry {
	entries := append([]tarEntry(nil), agnhostFiles...)
	return append(entries,
		fileEntry("kitten.jpg", 0o644, kitten.jpg),
		fileEntry("data.json", 0o644, kitten.json),
		fileEntry("etc/os-release", 0o644, []byte(suiteKittenOSRelease)))
}
