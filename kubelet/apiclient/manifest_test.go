package apiclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadManifestPods(t *testing.T) {
	pod := func(name, namespace string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + namespace + "\n"
	}
	tests := []struct {
		name    string
		content string
		want    string // namespace/name, ...
		wantErr string
	}{
		{"one pod takes the default namespace", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n", "ns/web", ""},
		{"documents keep their namespace", pod("a", "x") + "---\n" + pod("b", "z"), "x/a,z/b", ""},
		{"empty documents are skipped", "---\n" + pod("a", "x") + "---\n---\n", "x/a", ""},
		{"JSON", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"}}`, "ns/j", ""},
		{"another kind", pod("a", "x") + "---\nkind: Service\n", "", `document 2 is a "Service": the node API serves only kind: Pod`},
		{"no pod", "---\n", "", "holds no pod"},
		{"not YAML", "kind: Pod\n  : :\n\t-", "", "document 1:"},
	}
	for _, tt := range tests {
		docs, err := ReadManifestPods("-", strings.NewReader(tt.content), "ns")
		var got []string
		for _, d := range docs {
			got = append(got, d.Namespace+"/"+d.Name)
		}
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "-")):
			t.Errorf("%s: error %v, want one naming the input and saying %q", tt.name, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || strings.Join(got, ",") != tt.want):
			t.Errorf("%s: %v, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}

func TestReadManifestPodsKeepsTheDocumentAsWritten(t *testing.T) {
	docs, err := ReadManifestPods("-", strings.NewReader("kind: Pod\napiVersion: v1\nmetadata:\n  name: web\nspec:\n  priority: 7\n"), "default")
	if err != nil || string(docs[0].JSON) != `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"priority":7}}` {
		t.Errorf("JSON sent = %s, %v", docs[0].JSON, err)
	}
}

func TestReadManifestPodsBoundsTheFile(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxManifestBytes + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	_, err = ReadManifestPods(big, nil, "default")
	if err == nil || !strings.Contains(err.Error(), big+": over 10 MiB") {
		t.Errorf("a file over the bound: %v", err)
	}
	_, err = ReadManifestPods(filepath.Join(t.TempDir(), "missing.yaml"), nil, "default")
	if err == nil || !strings.Contains(err.Error(), "reading the manifest: open ") {
		t.Errorf("a missing file: %v", err)
	}
}
