//go:build linux

package volume

import (
	"context"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// A Memory emptyDir is a tmpfs of the size limit, mounted once however
// often SetUp runs, and gone after TearDown.
func TestMemoryEmptyDirIsATmpfsUntilTearDown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	podDir := t.TempDir()
	limit := resource.MustParse("8Mi")
	vol := &v1.Volume{Name: "cache", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: v1.StorageMediumMemory, SizeLimit: &limit}}}
	t.Cleanup(func() { _ = unmountMemoryDirs(podDir) })
	var dir string
	for range 2 {
		var err error
		if dir, err = (emptyDir{}).SetUp(context.Background(), &v1.Pod{}, vol, Host{PodDir: podDir}); err != nil {
			t.Fatal(err)
		}
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		t.Fatalf("%s is not a tmpfs (type %x, %v)", dir, fs.Type, err)
	}
	if size := int64(fs.Blocks) * fs.Bsize; size != 8<<20 {
		t.Errorf("tmpfs size %d, want the 8Mi limit", size)
	}
	if n := strings.Count(mountInfo(t), dir+" "); n != 1 {
		t.Errorf("%s is mounted %d times after two SetUps, want once", dir, n)
	}
	if err := (emptyDir{}).TearDown(podDir); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(mountInfo(t), dir+" ") {
		t.Errorf("%s still mounted after TearDown", dir)
	}
	if err := (emptyDir{}).TearDown(podDir); err != nil {
		t.Errorf("a second TearDown: %v", err)
	}
}

func mountInfo(t *testing.T) string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A Memory emptyDir's root keeps the tmpfs's sticky bit under a pod
// fsGroup, as the kubelet's (which adds the setgid bit and takes nothing
// away): the suite's "nonexistent volume subPath should have the correct
// mode and owner using FSGroup" expects a subPath made in it to show
// dgtrwxrwxrwx. The default medium stays without it.
func TestMemoryEmptyDirKeepsTheTmpfsStickyBitWithAnFSGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting and chown need root")
	}
	pod := &v1.Pod{Spec: v1.PodSpec{SecurityContext: &v1.PodSecurityContext{FSGroup: ptr(int64(123))}}}
	tests := []struct {
		medium v1.StorageMedium
		want   os.FileMode
	}{
		{v1.StorageMediumMemory, os.ModeDir | os.ModeSetgid | os.ModeSticky | 0o777},
		{v1.StorageMediumDefault, os.ModeDir | os.ModeSetgid | 0o777},
	}
	for _, tt := range tests {
		podDir := t.TempDir()
		t.Cleanup(func() { _ = unmountMemoryDirs(podDir) })
		vol := &v1.Volume{Name: "cache", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: tt.medium}}}
		dir, err := (emptyDir{}).SetUp(context.Background(), pod, vol, Host{PodDir: podDir})
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != tt.want {
			t.Errorf("medium %q: emptyDir mode %v, want %v", tt.medium, info.Mode(), tt.want)
		}
	}
}
