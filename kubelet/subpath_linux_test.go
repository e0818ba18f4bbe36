//go:build linux

package kubelet

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount")
	}
}

// mountsUnder lists the mount points at or below dir in this process's
// mount table, with mountinfo's octal escapes (\040 for a space) undone.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	table, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var points []string
	for _, line := range strings.Split(string(table), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		point := unescapeMountinfo(fields[4])
		if point == dir || strings.HasPrefix(point, dir+"/") {
			points = append(points, point)
		}
	}
	return points
}

func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// volumeLayout makes <tmp>/volume holding what a container could have
// written, and <tmp>/outside standing for the host's files.
type volumeLayout struct {
	root, volume, outside, pods string
}

func newVolumeLayout(t *testing.T) volumeLayout {
	t.Helper()
	root := t.TempDir()
	l := volumeLayout{root: root, volume: filepath.Join(root, "volume"), outside: filepath.Join(root, "outside"), pods: filepath.Join(root, "pod")}
	for _, dir := range []string{l.volume, filepath.Join(l.volume, "real", "sub"), l.outside, l.pods} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for path, content := range map[string]string{
		filepath.Join(l.outside, "secret"):          "host secret",
		filepath.Join(l.volume, "real", "sub", "f"): "volume file",
		filepath.Join(l.volume, "file"):             "plain file",
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(l.volume, 0o775|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	// Whatever a test leaves mounted is taken down before TempDir removes
	// the tree, so its RemoveAll never runs through a mount.
	t.Cleanup(func() {
		for _, point := range mountsUnder(t, root) {
			t.Errorf("mount left behind: %s", point)
			_ = unmountAll(point)
		}
	})
	return l
}

func (l volumeLayout) symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(l.volume, link)); err != nil {
		t.Fatal(err)
	}
}

func TestOpenInVolumeRefusesSymlinksAnywhere(t *testing.T) {
	l := newVolumeLayout(t)
	l.symlink(t, l.outside, "last")
	l.symlink(t, "/", "root")
	l.symlink(t, filepath.Join(l.outside, "secret"), "tofile")
	l.symlink(t, "real", "inside") // even one that stays inside: no symlink is followed
	if err := os.Symlink(l.outside, filepath.Join(l.volume, "real", "mid")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		components []string
		wantErr    string
	}{
		{[]string{"last"}, `"last" is a symbolic link`},
		{[]string{"root", "etc"}, `"root" is a symbolic link`},
		{[]string{"tofile"}, `"tofile" is a symbolic link`},
		{[]string{"inside", "sub"}, `"inside" is a symbolic link`},
		{[]string{"real", "mid", "secret"}, `"real/mid" is a symbolic link`},
		{[]string{"real", "mid", "new"}, `"real/mid" is a symbolic link`},
		{[]string{".."}, `".." is not a plain file name`},
		{[]string{"real", "..", ".."}, `".." is not a plain file name`},
		{[]string{"/etc"}, `"/etc" is not a plain file name`},
		{[]string{"file", "x"}, `"file" is not a directory`},
	}
	for _, tt := range tests {
		opened, err := openInVolume(l.volume, tt.components)
		if err == nil {
			opened.Close()
			t.Errorf("openInVolume(%q) succeeded; want %q", tt.components, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("openInVolume(%q) = %v; want %q", tt.components, err, tt.wantErr)
		}
	}
	if _, err := os.Stat(filepath.Join(l.outside, "new")); !os.IsNotExist(err) {
		t.Errorf("a directory was created outside the volume: %v", err)
	}
}

func TestOpenInVolumeCreatesMissingDirectoriesWithTheRootsMode(t *testing.T) {
	requireRoot(t) // the setgid bit on a directory of another group
	l := newVolumeLayout(t)
	opened, err := openInVolume(l.volume, []string{"real", "new", "deeper"})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	if !opened.isDir {
		t.Errorf("a created directory was opened as a file")
	}
	for _, dir := range []string{"real/new", "real/new/deeper"} {
		info, err := os.Stat(filepath.Join(l.volume, dir))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode() & (os.ModePerm | os.ModeSetgid); got != 0o775|os.ModeSetgid {
			t.Errorf("%s has mode %v; want the volume root's %v", dir, got, 0o775|os.ModeSetgid)
		}
	}
}

func TestBindSubPathMountsDirectoriesAndFiles(t *testing.T) {
	requireRoot(t)
	l := newVolumeLayout(t)
	dirTarget := subPathTarget(l.pods, "data", "app", 0)
	fileTarget := subPathTarget(l.pods, "data", "app", 1)
	if err := bindSubPath(l.volume, []string{"real", "sub"}, dirTarget); err != nil {
		t.Fatal(err)
	}
	if err := bindSubPath(l.volume, []string{"file"}, fileTarget); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dirTarget, "f")); err != nil || string(got) != "volume file" {
		t.Errorf("directory mount shows %q, %v; want the volume's real/sub", got, err)
	}
	if got, err := os.ReadFile(fileTarget); err != nil || string(got) != "plain file" {
		t.Errorf("file mount shows %q, %v; want the volume's file", got, err)
	}
	// A second start of the container remounts, not stacks.
	if err := bindSubPath(l.volume, []string{"real", "sub"}, dirTarget); err != nil {
		t.Fatal(err)
	}
	if got := mountsUnder(t, l.pods); len(got) != 2 {
		t.Errorf("mounts after a remount: %q, want one per target", got)
	}

	if err := removeSubPathMounts(l.pods); err != nil {
		t.Fatal(err)
	}
	if got := mountsUnder(t, l.root); len(got) != 0 {
		t.Errorf("mounts left after removeSubPathMounts: %q", got)
	}
	if _, err := os.Stat(filepath.Join(l.pods, subPathsDirName)); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", subPathsDirName, err)
	}
	// Taking the mounts down must not have deleted what they showed.
	if _, err := os.Stat(filepath.Join(l.volume, "real", "sub", "f")); err != nil {
		t.Errorf("the volume's content went with the mount: %v", err)
	}
}

// The sub-path is mounted through the descriptor the walk opened, so a
// symlink swapped in between the walk and the mount leads nowhere.
func TestBindSubPathUsesTheOpenedDescriptorNotThePath(t *testing.T) {
	requireRoot(t)
	l := newVolumeLayout(t)
	opened, err := openInVolume(l.volume, []string{"real", "sub"})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	// The container renames the checked directory away and puts a symlink
	// to the host in its place.
	if err := os.Rename(filepath.Join(l.volume, "real"), filepath.Join(l.volume, "moved")); err != nil {
		t.Fatal(err)
	}
	l.symlink(t, l.outside, "real")
	if err := os.Symlink(l.outside, filepath.Join(l.volume, "moved", "sub2")); err != nil {
		t.Fatal(err)
	}

	target := subPathTarget(l.pods, "data", "app", 0)
	if err := os.MkdirAll(target, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := bindOpened(opened, target); err != nil {
		t.Fatal(err)
	}
	defer removeSubPathMounts(l.pods)
	if got, err := os.ReadFile(filepath.Join(target, "f")); err != nil || string(got) != "volume file" {
		t.Errorf("mount shows %q, %v; want the directory that was opened", got, err)
	}
	if _, err := os.Stat(filepath.Join(target, "secret")); !os.IsNotExist(err) {
		t.Errorf("the host's file shows through the mount: %v", err)
	}
}

func TestRemoveSubPathMountsOfAPodWithoutAny(t *testing.T) {
	if err := removeSubPathMounts(filepath.Join(t.TempDir(), "no-such-pod")); err != nil {
		t.Fatalf("removeSubPathMounts of a pod without subPath mounts: %v", err)
	}
}
