package volume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeObjects answers from its maps; a missing name is NotFound.
type fakeObjects struct {
	configMaps map[string]*v1.ConfigMap
	secrets    map[string]*v1.Secret
	token      string
}

func (f *fakeObjects) ConfigMap(_ context.Context, _, name string) (*v1.ConfigMap, error) {
	if cm, ok := f.configMaps[name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(v1.Resource("configmaps"), name)
}

func (f *fakeObjects) Secret(_ context.Context, _, name string) (*v1.Secret, error) {
	if s, ok := f.secrets[name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(v1.Resource("secrets"), name)
}

func (f *fakeObjects) ServiceAccountToken(context.Context, *v1.Pod, *v1.ServiceAccountTokenProjection) (string, error) {
	if f.token == "" {
		return "", errors.New("no token")
	}
	return f.token, nil
}

func mode(m int32) *int32 { return &m }
func yes() *bool          { t := true; return &t }

func TestPayloads(t *testing.T) {
	objects := &fakeObjects{
		configMaps: map[string]*v1.ConfigMap{"app": {Data: map[string]string{"a": "1", "b": "2"}, BinaryData: map[string][]byte{"bin": {0, 1}}}},
		secrets:    map[string]*v1.Secret{"db": {Data: map[string][]byte{"password": []byte("pw")}}},
		token:      "jwt",
	}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1",
		Labels: map[string]string{"b": "2", "a": `q"uote`}, Annotations: map[string]string{"note": "x"}},
		Spec: v1.PodSpec{Containers: []v1.Container{{Name: "c"}}}}
	tests := []struct {
		name    string
		source  v1.VolumeSource
		want    map[string]string // path -> "mode:data"
		wantErr string
	}{
		{name: "every key of a ConfigMap", source: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "app"}}},
			want: map[string]string{"a": "644:1", "b": "644:2", "bin": "644:\x00\x01"}},
		{name: "items with a mode", source: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "app"},
			DefaultMode: mode(0o400), Items: []v1.KeyToPath{{Key: "a", Path: "dir/a.txt"}, {Key: "b", Path: "b", Mode: mode(0o600)}}}},
			want: map[string]string{"dir/a.txt": "400:1", "b": "600:2"}},
		{name: "a missing key", source: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "app"},
			Items: []v1.KeyToPath{{Key: "nope", Path: "x"}}}},
			wantErr: `configmap "app" has no key "nope" (named in items); add the key, or set optional: true`},
		{name: "a missing ConfigMap", source: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "gone"}}},
			wantErr: `"gone" not found`},
		{name: "a missing optional Secret is empty", source: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: "gone", Optional: yes()}},
			want: map[string]string{}},
		{name: "a Secret", source: v1.VolumeSource{Secret: &v1.SecretVolumeSource{SecretName: "db"}},
			want: map[string]string{"password": "644:pw"}},
		{name: "downward API fields", source: v1.VolumeSource{DownwardAPI: &v1.DownwardAPIVolumeSource{Items: []v1.DownwardAPIVolumeFile{
			{Path: "name", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}},
			{Path: "labels", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "note", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.annotations['note']"}},
		}}},
			want: map[string]string{"name": "644:web", "labels": "644:a=\"q\\\"uote\"\nb=\"2\"", "note": "644:x"}},
		{name: "the default service account volume", source: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{DefaultMode: mode(0o644), Sources: []v1.VolumeProjection{
			{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token"}},
			{ConfigMap: &v1.ConfigMapProjection{LocalObjectReference: v1.LocalObjectReference{Name: "app"}, Items: []v1.KeyToPath{{Key: "a", Path: "ca.crt"}}}},
			{DownwardAPI: &v1.DownwardAPIProjection{Items: []v1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
		}}},
			want: map[string]string{"token": "644:jwt", "ca.crt": "644:1", "namespace": "644:ns"}},
		{name: "two sources at one path", source: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
			{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "a"}},
			{ConfigMap: &v1.ConfigMapProjection{LocalObjectReference: v1.LocalObjectReference{Name: "app"}}},
		}}},
			wantErr: `sources[1]: two sources write "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vol := &v1.Volume{Name: "v", VolumeSource: tc.source}
			got, err := payloadOf(context.Background(), objects, pod, vol)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("files %v, want %v", got, tc.want)
			}
			for p, f := range got {
				if s := fmt.Sprintf("%o:%s", f.Mode, f.Data); s != tc.want[p] {
					t.Errorf("%s = %q, want %q", p, s, tc.want[p])
				}
			}
		})
	}
}

// payloadOf is the payload SetUp would write for vol.
func payloadOf(ctx context.Context, objects Objects, pod *v1.Pod, vol *v1.Volume) (Payload, error) {
	switch s := &vol.VolumeSource; {
	case s.ConfigMap != nil:
		return configMapPayload(ctx, objects, pod.Namespace, s.ConfigMap, modeOr(s.ConfigMap.DefaultMode))
	case s.Secret != nil:
		return secretPayload(ctx, objects, pod.Namespace, s.Secret, modeOr(s.Secret.DefaultMode))
	case s.DownwardAPI != nil:
		return downwardAPIPayload(pod, s.DownwardAPI.Items, modeOr(s.DownwardAPI.DefaultMode), nil)
	default:
		return projectedPayload(ctx, Host{Objects: objects}, pod, s.Projected)
	}
}

// A configMap volume's files change in one step; names a container opens
// stay the same links, a removed key's link goes, nothing of the old
// version is left, and an unchanged ConfigMap writes nothing.
func TestConfigMapVolumeUpdatesAtomically(t *testing.T) {
	objects := &fakeObjects{configMaps: map[string]*v1.ConfigMap{"app": {Data: map[string]string{"a": "1", "gone": "x"}}}}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"}}
	vol := &v1.Volume{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{LocalObjectReference: v1.LocalObjectReference{Name: "app"}}}}
	host := Host{PodDir: t.TempDir(), Objects: objects}
	ctx := context.Background()
	if err := Refresh(ctx, pod, vol, host); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(host.PodDir, configMapsDir)); err == nil {
		t.Errorf("a refresh made the volume of a pod whose containers have not started")
	}
	dir, err := configMap{}.SetUp(ctx, pod, vol, host)
	if err != nil {
		t.Fatal(err)
	}
	readFile := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(data)
	}
	if readFile("a") != "1" || readFile("gone") != "x" {
		t.Fatalf("files a=%q gone=%q", readFile("a"), readFile("gone"))
	}
	if target, _ := os.Readlink(filepath.Join(dir, "a")); target != "..data/a" {
		t.Errorf("a links to %q, want ..data/a", target)
	}
	first, _ := os.Readlink(filepath.Join(dir, dataLink))
	if err := Refresh(ctx, pod, vol, host); err != nil {
		t.Fatal(err)
	}
	if same, _ := os.Readlink(filepath.Join(dir, dataLink)); same != first {
		t.Errorf("an unchanged ConfigMap was written again (%s -> %s)", first, same)
	}
	objects.configMaps["app"] = &v1.ConfigMap{Data: map[string]string{"a": "2", "new": "n"}}
	if err := Refresh(ctx, pod, vol, host); err != nil {
		t.Fatal(err)
	}
	if readFile("a") != "2" || readFile("new") != "n" {
		t.Errorf("after the update a=%q new=%q", readFile("a"), readFile("new"))
	}
	if _, err := os.Lstat(filepath.Join(dir, "gone")); err == nil {
		t.Errorf("the link of a removed key is still there")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 4 { // ..<version>, ..data, a, new
		t.Errorf("volume holds %v, want one version, ..data and two links", names)
	}
}

// Payload paths that would leave the volume or hide its own entries are
// refused, whatever the API server let through.
func TestPayloadPathsStayInTheVolume(t *testing.T) {
	for _, p := range []string{"/etc/passwd", "../x", "a/../../x", "..data", "..2026", "a//b", "", "./a", ".", "a/.", "a/./b"} {
		if _, err := writeAtomically(t.TempDir(), Payload{p: {Data: []byte("x"), Mode: 0o644}}, nil); err == nil {
			t.Errorf("path %q was written", p)
		}
	}
}

// A subPath into the volume starts from the version ..data names, never
// from a link a container could not have planted but the writer replaces.
func TestCurrentVersionIsTheWritersOwn(t *testing.T) {
	dir := t.TempDir()
	if _, err := writeAtomically(dir, Payload{"k": {Data: []byte("v"), Mode: 0o644}}, nil); err != nil {
		t.Fatal(err)
	}
	version, err := CurrentVersion(dir)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(version, "k")); err != nil || string(data) != "v" {
		t.Errorf("version %s holds %q, %v", version, data, err)
	}
	if err := os.Remove(filepath.Join(dir, dataLink)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc", filepath.Join(dir, dataLink)); err != nil {
		t.Fatal(err)
	}
	if _, err := CurrentVersion(dir); err == nil {
		t.Error("a ..data link to /etc was taken for a version")
	}
}

// Items may map one key to many files; a volume stops at its bounds with
// the reason, before anything is written.
func TestVolumeSizeIsBounded(t *testing.T) {
	objects := &fakeObjects{configMaps: map[string]*v1.ConfigMap{"big": {Data: map[string]string{"k": strings.Repeat("x", 1<<20)}}}}
	pod := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"}}
	var items []v1.KeyToPath
	for i := range 20 {
		items = append(items, v1.KeyToPath{Key: "k", Path: fmt.Sprintf("f%d", i)})
	}
	vol := &v1.Volume{Name: "cfg", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{
		LocalObjectReference: v1.LocalObjectReference{Name: "big"}, Items: items}}}
	host := Host{PodDir: t.TempDir(), Objects: objects}
	_, err := configMap{}.SetUp(context.Background(), pod, vol, host)
	if err == nil || !strings.Contains(err.Error(), "configMap volume \"cfg\": it would hold 20 MiB; at most 16 MiB are written") {
		t.Errorf("20 copies of a 1 MiB key: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(host.PodDir, configMapsDir, "cfg")); len(entries) > 0 {
		t.Errorf("the refused volume holds %d entries", len(entries))
	}
}

// Many small files are counted by the pages they take, not their bytes:
// 4095 files of 4097 bytes fit 16 MiB of data but fill 32 MiB of tmpfs.
func TestVolumeSizeCountsPages(t *testing.T) {
	payload := Payload{}
	for i := range 4095 {
		payload[fmt.Sprintf("f%d", i)] = File{Data: make([]byte, 4097), Mode: 0o644}
	}
	if err := checkSize(payload); err == nil || !strings.Contains(err.Error(), "at most 16 MiB") {
		t.Errorf("4095 files of 4097 bytes: %v", err)
	}
}
