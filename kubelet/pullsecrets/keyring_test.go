package pullsecrets

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// dockerConfigSecret is a kubernetes.io/dockerconfigjson secret with one
// entry per registry, each user named after its registry.
func dockerConfigSecret(name string, registries ...string) *v1.Secret {
	var entries []string
	for _, r := range registries {
		entries = append(entries, fmt.Sprintf("%q: {\"username\": %q, \"password\": \"pw\"}", r, "u@"+r))
	}
	return &v1.Secret{
		ObjectMeta: metaName(name), Type: v1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(`{"auths": {` + strings.Join(entries, ",") + `}}`)},
	}
}

func users(auths []*runtimeapi.AuthConfig) string {
	var out []string
	for _, a := range auths {
		out = append(out, a.Username)
	}
	return strings.Join(out, " ")
}

func TestLookupMatchesAsTheKubeletsKeyring(t *testing.T) {
	keyring, err := New([]*v1.Secret{dockerConfigSecret("regcred",
		"registry.example.com", "registry.example.com/team", "registry.example.com/team/app",
		"https://registry.example.com:5000/v2/", "*.corp.example", "http://127.0.0.1:5001",
		"https://index.docker.io/v1/", "quay.io/other")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		image, want string
	}{
		{"registry.example.com/team/app:1.0",
			"u@registry.example.com/team/app u@registry.example.com/team u@registry.example.com"},
		{"registry.example.com/team/web@sha256:0123", "u@registry.example.com/team u@registry.example.com"},
		// a path prefix is a string prefix, as in the kubelet
		{"registry.example.com/teamster/x", "u@registry.example.com/team u@registry.example.com"},
		{"registry.example.com/other", "u@registry.example.com"},
		{"registry.example.com:5000/app", "u@https://registry.example.com:5000/v2/"},
		{"registry.example.com:5001/app", ""},
		{"git.corp.example/tools/app:2", "u@*.corp.example"},
		{"a.git.corp.example/app", ""},
		{"127.0.0.1:5001/minikubelet/kubia:1.0", "u@http://127.0.0.1:5001"},
		{"127.0.0.1:5000/minikubelet/kubia:1.0", ""},
		{"busybox", "u@https://index.docker.io/v1/"},
		{"docker.io/library/busybox:1.36", "u@https://index.docker.io/v1/"},
		{"someone/app", "u@https://index.docker.io/v1/"},
		{"quay.io/someone/app", ""},
		{"example.com/app", ""},
	}
	for _, tt := range tests {
		if got := users(keyring.Lookup(tt.image)); got != tt.want {
			t.Errorf("Lookup(%q) = %q, want %q", tt.image, got, tt.want)
		}
	}
}

func TestNewReadsBothSecretTypesInPodOrder(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("bob:hunter2"))
	unpadded := base64.RawStdEncoding.EncodeToString([]byte("carol:pw:with:colons"))
	secrets := []*v1.Secret{
		{ObjectMeta: metaName("legacy"), Type: v1.SecretTypeDockercfg,
			Data: map[string][]byte{v1.DockerConfigKey: []byte(`{"reg.example": {"auth": "` + auth + `"}}`)}},
		{ObjectMeta: metaName("json"), Type: v1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(`{"auths": {"reg.example": {"auth": "` + unpadded + `", "username": "ignored"}}}`)}},
		// an Opaque secret holding a docker config is not one: skipped
		{ObjectMeta: metaName("opaque"), Type: v1.SecretTypeOpaque,
			Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(`{"auths": {"reg.example": {"username": "eve"}}}`)}},
	}
	keyring, err := New(secrets)
	if err != nil {
		t.Fatal(err)
	}
	got := keyring.Lookup("reg.example/app")
	if len(got) != 2 || got[0].Username != "bob" || got[0].Password != "hunter2" ||
		got[1].Username != "carol" || got[1].Password != "pw:with:colons" {
		t.Fatalf("Lookup = %v, want bob:hunter2 then carol:pw:with:colons", got)
	}
}

func TestNewNamesAnUnreadableSecret(t *testing.T) {
	tests := map[string]*v1.Secret{
		"image pull secret default/bad (type kubernetes.io/dockerconfigjson): reading .dockerconfigjson": {
			ObjectMeta: metaName("bad"), Type: v1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(`{"auths": [`)}},
		`image pull secret default/bad, registry "reg.example": auth must be base64(username:password)`: {
			ObjectMeta: metaName("bad"), Type: v1.SecretTypeDockerConfigJson,
			Data: map[string][]byte{v1.DockerConfigJsonKey: []byte(`{"auths": {"reg.example": {"auth": "` +
				base64.StdEncoding.EncodeToString([]byte("nocolon")) + `"}}}`)}},
	}
	for want, secret := range tests {
		_, err := New([]*v1.Secret{secret})
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %v, want one starting %q", err, want)
		}
	}
}

func TestRepository(t *testing.T) {
	for image, want := range map[string]string{
		"busybox":                                 "docker.io/library/busybox",
		"busybox:1.36":                            "docker.io/library/busybox",
		"someone/app@sha256:abc":                  "docker.io/someone/app",
		"index.docker.io/someone/app":             "docker.io/someone/app",
		"localhost/app:1":                         "localhost/app",
		"localhost:5000/app:1":                    "localhost:5000/app",
		"127.0.0.1:5000/minikubelet/kubia:1.0":    "127.0.0.1:5000/minikubelet/kubia",
		"registry.example.com/a/b/c:tag@sha256:1": "registry.example.com/a/b/c",
	} {
		if got := Repository(image); got != want {
			t.Errorf("Repository(%q) = %q, want %q", image, got, want)
		}
	}
}

func metaName(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default"}
}
