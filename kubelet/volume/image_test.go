package volume

import (
	"context"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestRuntimeMountsImagesFromTheVersionsThatDo(t *testing.T) {
	tests := []struct {
		name, version string
		ok            bool
	}{
		{"containerd", "v1.6.38", false},
		{"containerd", "1.6.20~ds1", false}, // Debian's

		{"containerd", "v1.7.27", false},
		{"containerd", "v2.0.5", false},
		{"containerd", "v2.1.0", true},
		{"containerd", "v2.4.2", true},
		{"containerd", "2.1.0-rc.1", true},
		{"containerd", "v10.0.0", true},
		{"containerd", "unknown", false}, // cannot tell: not trusted with the field
		{"cri-o", "1.30.9", false},
		{"cri-o", "1.31.0", true},
		{"cri-o", "1.34.1", true},
		{"some-other-runtime", "0.1", true}, // it answers for itself
	}
	for _, tt := range tests {
		err := RuntimeMountsImages(tt.name, tt.version)
		if (err == nil) != tt.ok {
			t.Errorf("RuntimeMountsImages(%q, %q) = %v, want ok %v", tt.name, tt.version, err, tt.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), tt.name+" "+tt.version) || !strings.Contains(err.Error(), "upgrade the runtime")) {
			t.Errorf("error %q does not name the runtime %s %s and the fix", err, tt.name, tt.version)
		}
	}
}

// An image volume has no host side: SetUp must never hand the runtime a
// path (an empty one would start the container without the files).
func TestImageVolumeHasNoHostPath(t *testing.T) {
	vol := &v1.Volume{Name: "data", VolumeSource: v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: "x:1"}}}
	typ := For(&vol.VolumeSource)
	if typ == nil || typ.Name() != "image" {
		t.Fatalf("For(image source) = %v, want the image type", typ)
	}
	if path, err := typ.SetUp(context.Background(), &v1.Pod{}, vol, Host{PodDir: t.TempDir()}); err == nil || path != "" {
		t.Errorf("SetUp = %q, %v; want no path and an error", path, err)
	}
	if AlwaysReadOnly(&vol.VolumeSource) {
		t.Error("an image volume is read-only through its CRI mount, not the agent's rewritten-volume rule")
	}
}
