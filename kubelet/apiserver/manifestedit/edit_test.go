package manifestedit

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// object decodes YAML or JSON text as the API sees a pod: JSON values with
// exact numbers.
func object(t *testing.T, text string) map[string]any {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()
	var out map[string]any
	if err := decoder.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

const webPod = `# The web pod.
apiVersion: v1
kind: Pod
metadata:
  name: web # its name
  labels:
    app: web
spec:
  containers:
  - name: app
    image: "example.com/app:1" # pinned
    ports:
    - containerPort: 8080
  restartPolicy: Always
`

// withDefaults adds what the API's defaulting adds to the web pod and the
// file leaves out, as the served pod carries it.
func withDefaults(text string) string {
	return strings.Replace(text, "  restartPolicy: Always", "  restartPolicy: Always\n  dnsPolicy: ClusterFirst\n  schedulerName: default-scheduler", 1)
}

func TestEditAppliesOnlyTheChangeInTheFilesOrder(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		base    string // "" means the file itself, with defaults
		updated string
		want    string
	}{
		{
			name:    "a label is added last among the labels; comments and quoting stay",
			file:    webPod,
			updated: withDefaults(strings.Replace(webPod, "    app: web\n", "    app: web\n    tier: front\n", 1)),
			want:    strings.Replace(webPod, "    app: web\n", "    app: web\n    tier: front\n", 1),
		},
		{
			name:    "a changed image keeps its quotes and its comment",
			file:    webPod,
			updated: withDefaults(strings.Replace(webPod, "app:1", "app:2", 1)),
			want:    strings.Replace(webPod, "app:1", "app:2", 1),
		},
		{
			name:    "an added field goes where the Pod type puts it, defaults stay out of the file",
			file:    webPod,
			updated: withDefaults(strings.Replace(webPod, "    ports:", "    args: [\"-v\"]\n    ports:", 1)),
			want: strings.NewReplacer("app:1\" # pinned\n", "app:1\" # pinned\n    args:\n    - -v\n").
				Replace(webPod),
		},
		{
			name:    "a removed key goes",
			file:    webPod,
			updated: withDefaults(strings.Replace(webPod, "  labels:\n    app: web\n", "", 1)),
			want:    strings.NewReplacer("  labels:\n    app: web\n", "").Replace(webPod),
		},
		{
			name:    "containers are matched by name, a new one written in field order with only its own fields",
			file:    webPod,
			updated: withDefaults(strings.Replace(webPod, "  containers:\n", "  containers:\n  - image: side:1\n    name: side\n    imagePullPolicy: IfNotPresent\n", 1)),
			want: strings.NewReplacer("  containers:\n", "  containers:\n  - name: side\n    image: side:1\n    imagePullPolicy: IfNotPresent\n").
				Replace(webPod),
		},
		{
			name:    "indented lists and four-space indents are kept",
			file:    "apiVersion: v1\nkind: Pod\nmetadata:\n    name: web\nspec:\n    containers:\n        - name: app\n          image: a:1\n",
			updated: "apiVersion: v1\nkind: Pod\nmetadata:\n    name: web\nspec:\n    containers:\n        - name: app\n          image: a:2\n",
			want:    "apiVersion: v1\nkind: Pod\nmetadata:\n    name: web\nspec:\n    containers:\n        - name: app\n          image: a:2\n",
		},
		{
			name:    "a leading document start stays",
			file:    "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: a:1\n",
			updated: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: a:2\n",
			want:    "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: a:2\n",
		},
		{
			name:    "JSON stays JSON in its own key order",
			file:    "{\n    \"kind\": \"Pod\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {\"name\": \"web\"},\n    \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"a:1\", \"ports\": [{\"containerPort\": 8080}]}]}\n}\n",
			updated: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"containers":[{"image":"a:1","name":"app","ports":[{"containerPort":8081}]}]}}`,
			want:    "{\n    \"kind\": \"Pod\",\n    \"apiVersion\": \"v1\",\n    \"metadata\": {\n        \"name\": \"web\",\n        \"labels\": {\n            \"app\": \"web\"\n        }\n    },\n    \"spec\": {\n        \"containers\": [\n            {\n                \"name\": \"app\",\n                \"image\": \"a:1\",\n                \"ports\": [\n                    {\n                        \"containerPort\": 8081\n                    }\n                ]\n            }\n        ]\n    }\n}\n",
		},
		{
			name:    "a string that reads as a number is quoted",
			file:    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    v: x\n",
			updated: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    v: \"2\"\n",
			want:    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    v: \"2\"\n",
		},
		{
			name:    "an alias that changes is written out",
			file:    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: &n web\n  labels:\n    app: *n\n",
			updated: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    app: other\n",
			want:    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: &n web\n  labels:\n    app: other\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == "" {
				base = withDefaults(tt.file)
			}
			got, err := Edit([]byte(tt.file), object(t, base), object(t, tt.updated), reflect.TypeOf(v1.Pod{}))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if !reflect.DeepEqual(object(t, string(got)), object(t, tt.want)) {
				t.Errorf("the result does not decode to the updated object")
			}
		})
	}
}

func TestEditUnchangedObjectKeepsTheText(t *testing.T) {
	file := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: app\n    image: a:1\n"
	got, err := Edit([]byte(file), object(t, file), object(t, file), reflect.TypeOf(v1.Pod{}))
	if err != nil || string(got) != file {
		t.Errorf("Edit of no change = %q, %v; want the file as it was", got, err)
	}
}

func TestEditRefusesFilesWithoutExactlyOneDocument(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	for name, file := range map[string]string{
		"two pods":    pod + "---\n" + pod,
		"no document": "# nothing\n",
		"a list":      "- 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Edit([]byte(file), object(t, pod), object(t, pod), reflect.TypeOf(v1.Pod{})); !errors.Is(err, ErrNotOneDocument) {
				t.Errorf("Edit = %v, want ErrNotOneDocument", err)
			}
		})
	}
	empty := "---\n" + pod + "---\n"
	if _, err := Edit([]byte(empty), object(t, pod), object(t, pod), reflect.TypeOf(v1.Pod{})); err != nil {
		t.Errorf("a pod between empty documents: %v", err)
	}
}
