package volume

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func ptr[T any](v T) *T { return &v }

func TestCheckFindsWhatIsWrongWithASource(t *testing.T) {
	negative := resource.MustParse("-1Mi")
	tests := []struct {
		name   string
		source v1.VolumeSource
		want   []string // messages, in order
	}{
		{"plain emptyDir", v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}, nil},
		{"memory emptyDir", v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: v1.StorageMediumMemory}}, nil},
		{"hugepages are refused, not ignored", v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{Medium: v1.StorageMediumHugePages}},
			[]string{`spec.volumes[0].emptyDir.medium: "HugePages" is not supported (use one of "", "Memory")`}},
		{"negative size", v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{SizeLimit: &negative}},
			[]string{"spec.volumes[0].emptyDir.sizeLimit: must not be negative"}},
		{"hostPath", v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/srv", Type: ptr(v1.HostPathDirectory)}}, nil},
		{"hostPath without path or with a bad type", v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Type: ptr(v1.HostPathType("Pipe"))}}, []string{
			"spec.volumes[0].hostPath.path: is required (the host directory or file to mount)",
			`spec.volumes[0].hostPath.type: "Pipe" is not supported (use one of "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice")`,
		}},
		{"image", v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: "registry.example/data:1.0", PullPolicy: v1.PullNever}}, nil},
		{"image without reference, with a bad pull policy", v1.VolumeSource{Image: &v1.ImageVolumeSource{PullPolicy: "Sometimes"}}, []string{
			`spec.volumes[0].image.reference: is required (the image whose files the volume holds, e.g. "registry.example/data:1.0")`,
			`spec.volumes[0].image.pullPolicy: "Sometimes" is not supported (use one of "Always", "IfNotPresent", "Never")`,
		}},
		{"image reference past the bound", v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: strings.Repeat("r", MaxImageReferenceLength+1)}}, []string{
			"spec.volumes[0].image.reference: is 1025 characters long, more than the 1024 an image reference may have; give the image's name, tag or digest",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := For(&tt.source)
			if typ == nil {
				t.Fatal("no type for a supported source")
			}
			var got []string
			for _, p := range typ.Check(&tt.source, field.NewPath("spec", "volumes").Index(0)) {
				got = append(got, p.Message)
				if p.Err == nil || !strings.HasPrefix(p.Message, p.Err.Field) {
					t.Errorf("problem %q has no matching field error %v", p.Message, p.Err)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Check =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRefusalNamesWhyAndWhatToUse(t *testing.T) {
	tests := map[string]string{
		"emptyDir":    "",
		"hostPath":    "",
		"configMap":   "static pods cannot use configMap volumes (the API server does not let a static pod's mirror refer to ConfigMaps); use hostPath or bake the file into the image",
		"downwardAPI": "",
		"nfs":         "static pods cannot use nfs volumes: only emptyDir, hostPath, downwardAPI and image are supported",
	}
	for source, want := range tests {
		if got := Refusal(source); got != want {
			t.Errorf("Refusal(%s) = %q, want %q", source, got, want)
		}
	}
}

func TestSourceNamesListsEverySourceSet(t *testing.T) {
	source := v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}, HostPath: &v1.HostPathVolumeSource{}}
	if got := SourceNames(&source); strings.Join(got, ",") != "hostPath,emptyDir" {
		t.Errorf("SourceNames = %v", got)
	}
	if got := SourceNames(&v1.VolumeSource{}); len(got) != 0 || For(&v1.VolumeSource{}) != nil {
		t.Errorf("an empty source: names %v, type %v", got, For(&v1.VolumeSource{}))
	}
}

func TestEmptyDirSetUpIsSharedWritableAndIdempotent(t *testing.T) {
	podDir := t.TempDir()
	pod := &v1.Pod{}
	vol := &v1.Volume{Name: "data", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}
	dir, err := emptyDir{}.SetUp(context.Background(), pod, vol, Host{PodDir: podDir})
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(podDir, "volumes/kubernetes.io~empty-dir/data") {
		t.Errorf("path %s", dir)
	}
	os.WriteFile(filepath.Join(dir, "kept"), []byte("x"), 0o644)
	if again, err := (emptyDir{}).SetUp(context.Background(), pod, vol, Host{PodDir: podDir}); err != nil || again != dir {
		t.Fatalf("second SetUp: %s, %v", again, err)
	}
	info, _ := os.Stat(dir)
	if _, err := os.Stat(filepath.Join(dir, "kept")); err != nil || info.Mode().Perm() != 0o777 {
		t.Errorf("mode %v, kept file %v: want 0777 and the file kept", info.Mode(), err)
	}
	pod.Spec.SecurityContext = &v1.PodSecurityContext{FSGroup: ptr(int64(4321))}
	if _, err := (emptyDir{}).SetUp(context.Background(), pod, vol, Host{PodDir: podDir}); err != nil {
		t.Fatal(err)
	}
	info, _ = os.Stat(dir)
	if info.Mode()&os.ModeSetgid == 0 || info.Mode().Perm() != 0o777 {
		t.Errorf("with fsGroup: mode %v, want 0777 and setgid, as the kubelet (the suite's \"volume on tmpfs should have the correct mode using FSGroup\")", info.Mode())
	}
}

func TestHostPathTypesAreCheckedAndCreated(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		path    string
		kind    v1.HostPathType
		wantErr string
	}{
		{base, v1.HostPathUnset, ""},
		{filepath.Join(base, "missing"), v1.HostPathUnset, ""},
		{base, v1.HostPathDirectory, ""},
		{file, v1.HostPathDirectory, "is not a directory"},
		{filepath.Join(base, "missing"), v1.HostPathFile, "does not exist (type File requires it); create it or use type DirectoryOrCreate/FileOrCreate"},
		{filepath.Join(base, "new/dir"), v1.HostPathDirectoryOrCreate, ""},
		{filepath.Join(base, "new/file"), v1.HostPathFileOrCreate, ""},
		{base, v1.HostPathSocket, "is not a socket"},
	}
	for _, tt := range tests {
		vol := &v1.Volume{Name: "h", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: tt.path, Type: ptr(tt.kind)}}}
		got, err := hostPath{}.SetUp(context.Background(), nil, vol, Host{})
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s %s: %v, want %q", tt.kind, tt.path, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.path {
			t.Errorf("%s: mounts %s", tt.path, got)
		}
	}
	if info, err := os.Stat(filepath.Join(base, "new/dir")); err != nil || !info.IsDir() {
		t.Errorf("DirectoryOrCreate did not create a directory: %v", err)
	}
	if info, err := os.Stat(filepath.Join(base, "new/file")); err != nil || !info.Mode().IsRegular() {
		t.Errorf("FileOrCreate did not create a file: %v", err)
	}
}
