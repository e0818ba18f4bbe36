package translate

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestSubPathComponents(t *testing.T) {
	tests := []struct {
		subPath string
		want    []string
		wantErr string // substring of the error; "" for none
	}{
		{subPath: "conf", want: []string{"conf"}},
		{subPath: "a/b/c", want: []string{"a", "b", "c"}},
		{subPath: "./a//b/", want: []string{"a", "b"}},
		{subPath: ".", want: nil},
		{subPath: "a..b/..c", want: []string{"a..b", "..c"}},
		{subPath: "..", wantErr: `contains ".."`},
		{subPath: "a/../../etc", wantErr: `contains ".."`},
		{subPath: "a/..", wantErr: `contains ".."`},
		{subPath: "/etc", wantErr: `is an absolute path: give a path relative to the volume root, e.g. "etc"`},
		{subPath: "//etc/shadow", wantErr: "absolute"},
		{subPath: "a\x00b", wantErr: "NUL"},
		{subPath: strings.Repeat("a/", 2049), wantErr: "more than the 4096"},
	}
	for _, tt := range tests {
		got, err := SubPathComponents(tt.subPath)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("SubPathComponents(%.40q) = %q, %v; want an error with %q", tt.subPath, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SubPathComponents(%q) = %q, %v; want %q", tt.subPath, got, err, tt.want)
		}
	}
}

func TestMountSubPath(t *testing.T) {
	env := map[string]string{"POD_NAME": "web-1", "NS": "default", "EMPTY": ""}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	tests := []struct {
		name      string
		mount     v1.VolumeMount
		want      string
		wantField string
		wantErr   string
	}{
		{name: "neither", mount: v1.VolumeMount{}, want: "", wantField: "subPath"},
		{name: "subPath as written, no expansion", mount: v1.VolumeMount{SubPath: "logs/$(POD_NAME)"}, want: "logs/$(POD_NAME)", wantField: "subPath"},
		{name: "subPathExpr expanded", mount: v1.VolumeMount{SubPathExpr: "$(NS)/logs/$(POD_NAME)"}, want: "default/logs/web-1", wantField: "subPathExpr"},
		{name: "escaped dollar", mount: v1.VolumeMount{SubPathExpr: "$$(POD_NAME)"}, want: "$(POD_NAME)", wantField: "subPathExpr"},
		{name: "plain text", mount: v1.VolumeMount{SubPathExpr: "data"}, want: "data", wantField: "subPathExpr"},
		{name: "unset variable", mount: v1.VolumeMount{SubPathExpr: "$(NOPE)/$(POD_NAME)/$(NOPE)"}, wantField: "subPathExpr",
			wantErr: `"$(NOPE)/$(POD_NAME)/$(NOPE)" refers to NOPE, which the container's env does not set (or sets empty): add it to env`},
		{name: "empty variable", mount: v1.VolumeMount{SubPathExpr: "$(EMPTY)"}, wantField: "subPathExpr", wantErr: "refers to EMPTY"},
		{name: "both set", mount: v1.VolumeMount{SubPath: "a", SubPathExpr: "b"}, wantField: "subPathExpr", wantErr: "mutually exclusive"},
	}
	for _, tt := range tests {
		got, field, err := SubPath(&tt.mount, lookup)
		if field != tt.wantField {
			t.Errorf("%s: field = %q, want %q", tt.name, field, tt.wantField)
		}
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: got %q, %v; want an error with %q", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

// An expansion can produce what the manifest check could not see: the
// agent must refuse it once expanded.
func TestExpandedSubPathExprIsCheckedAgain(t *testing.T) {
	env := map[string]string{"UP": "..", "ROOT": "/etc"}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	for _, expr := range []string{"$(UP)/$(UP)", "a/$(UP)", "$(ROOT)"} {
		sub, _, err := SubPath(&v1.VolumeMount{SubPathExpr: expr}, lookup)
		if err != nil {
			t.Fatalf("expanding %q: %v", expr, err)
		}
		if _, err := SubPathComponents(sub); err == nil {
			t.Errorf("%q expands to %q, which was accepted", expr, sub)
		}
	}
}

func TestVolumeMountField(t *testing.T) {
	pod := &v1.Pod{Spec: v1.PodSpec{
		InitContainers: []v1.Container{{Name: "plant"}},
		Containers:     []v1.Container{{Name: "web"}, {Name: "side"}},
	}}
	for _, tt := range []struct {
		container string
		index     int
		want      string
	}{
		{"plant", 0, "spec.initContainers[0].volumeMounts[0]"},
		{"side", 2, "spec.containers[1].volumeMounts[2]"},
		{"gone", 1, "container gone volumeMounts[1]"},
	} {
		if got := VolumeMountField(pod, tt.container, tt.index); got != tt.want {
			t.Errorf("VolumeMountField(%s, %d) = %q, want %q", tt.container, tt.index, got, tt.want)
		}
	}
}
