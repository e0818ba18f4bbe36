package apiclient

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// replacingEditor is an editor that replaces old with new in the file,
// and records what it was shown.
func replacingEditor(old, new string, shown *string) func(context.Context, string, string) error {
	return func(_ context.Context, _ string, file string) error {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		*shown = string(data)
		return os.WriteFile(file, []byte(strings.ReplaceAll(string(data), old, new)), 0o600)
	}
}

func edit(t *testing.T, conn Connection, opts EditOptions) (string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Resource, opts.Stdout, opts.Stderr = "pod", &out, &out
	err := Edit(context.Background(), conn, opts)
	return out.String(), err
}

func TestEditSendsTheChangeAsAStrategicPatch(t *testing.T) {
	agent, conn := startNodeAPI(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	manifest := "# web, by hand\n" + podManifest("web", "default")
	path := agent.writeManifest(t, "web.yaml", manifest)
	var shown string
	out, err := edit(t, conn, EditOptions{Name: "web", RunEditor: replacingEditor("example.com/web:1", "example.com/web:2", &shown)})
	if err != nil || out != "pod/web edited\n" {
		t.Fatalf("edit = %q, %v", out, err)
	}
	if !strings.HasPrefix(shown, "# Please edit the object below.") || !strings.Contains(shown, "image: example.com/web:1") {
		t.Errorf("the editor was shown:\n%s", shown)
	}
	data, _ := os.ReadFile(path)
	if want := strings.Replace(manifest, "web:1", "web:2", 1); string(data) != want {
		t.Errorf("manifest after edit:\n%s\nwant the one change in its own layout:\n%s", data, want)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(tmp, "*")); len(leftovers) > 0 {
		t.Errorf("a successful edit left %v", leftovers)
	}
}

func TestEditWithoutChangeOrWithAnEmptyFileCancels(t *testing.T) {
	agent, conn := startNodeAPI(t)
	agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	var shown string
	out, err := edit(t, conn, EditOptions{Name: "web", Output: "json", RunEditor: replacingEditor("nothing", "else", &shown)})
	if err != nil || out != "Edit cancelled, no changes made.\n" || !strings.Contains(shown, `"image": "example.com/web:1"`) {
		t.Errorf("unchanged edit = %q, %v; shown:\n%s", out, err, shown)
	}
	empty := func(_ context.Context, _ string, file string) error {
		return os.WriteFile(file, []byte("# all gone\n"), 0o600)
	}
	if out, err := edit(t, conn, EditOptions{Name: "web", RunEditor: empty}); err != nil || out != "Edit cancelled, no changes made.\n" {
		t.Errorf("emptied edit = %q, %v", out, err)
	}
}

func TestEditThatFailsKeepsTheEditedFile(t *testing.T) {
	agent, conn := startNodeAPI(t)
	t.Setenv("TMPDIR", t.TempDir())
	agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	var shown string
	_, err := edit(t, conn, EditOptions{Name: "web", RunEditor: replacingEditor("name: app", "name: app\n    imagePullPolicy: Sometimes", &shown)})
	kept := regexp.MustCompile(`kept in (\S+)$`).FindStringSubmatch(errString(err))
	if err == nil || !strings.Contains(err.Error(), "imagePullPolicy") || kept == nil {
		t.Fatalf("invalid edit = %v", err)
	}
	if data, _ := os.ReadFile(kept[1]); !strings.Contains(string(data), "Sometimes") {
		t.Errorf("kept file %s holds:\n%s", kept[1], data)
	}
	_, err = edit(t, conn, EditOptions{Name: "web", RunEditor: replacingEditor("name: web", "name: other", &shown)})
	if err == nil || !strings.Contains(err.Error(), "apiVersion, kind or name") {
		t.Errorf("renaming edit = %v", err)
	}
	if _, err := edit(t, conn, EditOptions{Name: "nope", RunEditor: replacingEditor("a", "b", &shown)}); err == nil || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Errorf("edit of a missing pod = %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
