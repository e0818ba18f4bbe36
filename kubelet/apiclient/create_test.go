package apiclient

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content into a new file of the test's and returns it.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// manifests runs Create or Apply and returns what it printed.
func manifests(t *testing.T, verb func(context.Context, Connection, ManifestOptions) error, conn Connection, stdin string, files ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := verb(context.Background(), conn, ManifestOptions{Files: files, Stdin: strings.NewReader(stdin), Stdout: &out})
	return out.String(), err
}

func TestCreateSendsEveryPodOfAMultiDocumentFileAndStdin(t *testing.T) {
	agent, conn := startNodeAPI(t)
	two := writeFile(t, "two.yaml", podManifest("a", "default")+"---\n"+podManifest("b", "shop"))
	stdin := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"c"},"spec":{"containers":[{"name":"app","image":"example.com/c:1"}]}}`
	out, err := manifests(t, Create, conn, stdin, two, "-")
	if err != nil {
		t.Fatal(err)
	}
	if want := "pod/a created\npod/b created\npod/c created\n"; out != want {
		t.Errorf("create printed %q, want %q", out, want)
	}
	for _, written := range []string{"default_a.yaml", "shop_b.yaml", "default_c.yaml"} {
		if _, err := os.Stat(filepath.Join(agent.manifests, written)); err != nil {
			t.Errorf("the node API wrote no %s: %v", written, err)
		}
	}
}

func TestCreateSurfacesTheServersStatusNamingFileAndPod(t *testing.T) {
	agent, conn := startNodeAPI(t)
	agent.writeManifest(t, "a.yaml", podManifest("a", "default"))
	existing := writeFile(t, "a.yaml", podManifest("a", "default"))
	invalid := writeFile(t, "bad.yaml", strings.Replace(podManifest("bad", "default"), "ports:", "imagePullPolicy: Sometimes\n    ports:", 1))
	tests := []struct {
		file string
		want string
	}{
		{existing, existing + `: pod default/a: pods "a" already exists`},
		{invalid, invalid + `: pod default/bad: Pod "bad" is invalid: spec.containers[0].imagePullPolicy: "Sometimes" is not supported (use one of "Always", "IfNotPresent", "Never")`},
	}
	for _, tt := range tests {
		if _, err := manifests(t, Create, conn, "", tt.file); err == nil || err.Error() != tt.want {
			t.Errorf("create -f %s = %v\nwant %s", filepath.Base(tt.file), err, tt.want)
		}
	}
}

func TestCreateStopsAtTheFirstError(t *testing.T) {
	agent, conn := startNodeAPI(t)
	file := writeFile(t, "three.yaml", podManifest("a", "default")+"---\n"+
		strings.Replace(podManifest("b", "default"), "ports:", "imagePullPolicy: Sometimes\n    ports:", 1)+"---\n"+podManifest("c", "default"))
	out, err := manifests(t, Create, conn, "", file)
	if err == nil || !strings.Contains(err.Error(), file+": pod default/b:") || out != "pod/a created\n" {
		t.Errorf("create = %q, %v; want a created, then b's error", out, err)
	}
	if _, err := os.Stat(filepath.Join(agent.manifests, "default_c.yaml")); err == nil {
		t.Error("c was created after b failed")
	}
}

func TestApplyCreatesConfiguresOrLeavesUnchanged(t *testing.T) {
	agent, conn := startNodeAPI(t)
	file := writeFile(t, "web.yaml", podManifest("web", "default"))
	changed := writeFile(t, "web.yaml", strings.Replace(podManifest("web", "default"), "app: web", "app: web\n    tier: front", 1))
	newImage := writeFile(t, "web2.yaml", strings.NewReplacer("app: web", "app: web\n    tier: front", "web:1", "web:2").Replace(podManifest("web", "default")))
	steps := []struct {
		file, want string
	}{
		{file, "pod/web created\n"},
		{file, "pod/web unchanged\n"},
		{changed, "pod/web configured\n"},
		{changed, "pod/web unchanged\n"},
		{newImage, "pod/web configured\n"},
	}
	for i, step := range steps {
		out, err := manifests(t, Apply, conn, "", step.file)
		if err != nil || out != step.want {
			t.Errorf("apply %d = %q, %v; want %q", i+1, out, err, step.want)
		}
	}
	written, _ := os.ReadFile(filepath.Join(agent.manifests, "default_web.yaml"))
	if !strings.Contains(string(written), "tier: front") {
		t.Errorf("apply did not rewrite the manifest:\n%s", written)
	}
}

func TestCreateAndApplyNeedAFile(t *testing.T) {
	conn := Connection{Kubeconfig: "/nonexistent/kubeconfig", Getenv: func(string) string { return "" }}
	for name, verb := range map[string]func(context.Context, Connection, ManifestOptions) error{"create": Create, "apply": Apply} {
		if _, err := manifests(t, verb, conn, ""); err == nil || err.Error() != "give a manifest with -f FILE (or -f - for standard input)" {
			t.Errorf("%s without -f: %v", name, err)
		}
	}
}
