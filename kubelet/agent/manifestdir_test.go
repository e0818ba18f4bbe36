package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckManifestDirRefusesWhatOthersCanWrite(t *testing.T) {
	base := t.TempDir()
	os.Chmod(base, 0o755)
	mk := func(name string, mode os.FileMode) string {
		path := filepath.Join(base, name)
		os.MkdirAll(path, 0o755)
		os.Chmod(path, mode)
		return path
	}
	private := mk("private", 0o755)
	world := mk("world", 0o777)
	group := mk("group", 0o775)
	openParent := mk("open", 0o777)
	inOpenParent := mk("open/manifests", 0o755)
	sticky := mk("sticky", 0o777|os.ModeSticky)
	inSticky := mk("sticky/manifests", 0o755)
	link := filepath.Join(base, "link")
	os.Symlink(world, link)

	tests := []struct {
		dir  string
		want string // "" accepted
	}{
		{private, ""},
		{inSticky, ""},
		{filepath.Join(base, "not-yet"), ""},
		{world, "mode 0777, so group and others could write manifests that run as root: run `chmod go-w " + world + "`"},
		{group, "mode 0775, so its group could write manifests"},
		{inOpenParent, openParent + " has mode 0777, so group and others could replace the manifest directory with their own"},
		{link, "--manifest-dir " + link + ": " + world + " has mode 0777"},
	}
	for _, tt := range tests {
		err := checkManifestDir(tt.dir)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("checkManifestDir(%s) = %v, want %q", tt.dir, err, tt.want)
		}
	}
	if info, _ := os.Stat(sticky); info.Mode()&os.ModeSticky == 0 {
		t.Fatal("the test could not make a sticky directory")
	}
}
