package staticpods

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

const testNode = "node-1"

// problemsOf decodes a manifest named name and returns its messages, or
// nil when it is valid.
func problemsOf(t *testing.T, name, manifest string) []string {
	t.Helper()
	pods, ferr := DecodeManifest("/etc/manifests/"+name, []byte(manifest), testNode)
	if ferr == nil {
		if len(pods) == 0 {
			t.Fatalf("%s: no pods and no error", name)
		}
		return nil
	}
	if pods != nil {
		t.Errorf("%s: got pods together with an error", name)
	}
	if len(ferr.Messages) != len(ferr.Errors) {
		t.Errorf("%s: %d messages but %d structured errors", name, len(ferr.Messages), len(ferr.Errors))
	}
	return ferr.Messages
}

// The seed manifest from the issue, verbatim.
const kubiaManual = `apiVersion: v1
kind: pod
metadata:
  name: kubia-manual
spec:
  containers:
  - images: luksa/kubia
    name: kubia
    ports:
    - containerPort: 8080
      protocol: TCP
`

func TestDecodeSeedManifestGivesExactlyTwoMessages(t *testing.T) {
	got := problemsOf(t, "kubia-manual.yaml", kubiaManual)
	want := []string{
		`kubia-manual.yaml: kind "pod" is not "Pod"`,
		`kubia-manual.yaml: spec.containers[0]: unknown field "images" (did you mean "image"?)`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, ferr := DecodeManifest("/x/kubia-manual.yaml", []byte(kubiaManual), testNode)
	wantPods := []types.NamespacedName{{Namespace: "default", Name: "kubia-manual"}}
	if !slices.Equal(ferr.Pods, wantPods) {
		t.Errorf("Pods = %v, want %v", ferr.Pods, wantPods)
	}
	if ferr.Errors[1].Field != "spec.containers[0].images" {
		t.Errorf("structured field = %q, want spec.containers[0].images", ferr.Errors[1].Field)
	}
}

const goodPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.27
`

func TestDecodeValidPodIsBoundAndStamped(t *testing.T) {
	pods, ferr := DecodeManifest("/etc/manifests/web.yaml", []byte(goodPod), testNode)
	if ferr != nil {
		t.Fatalf("unexpected error: %v", ferr)
	}
	pod := pods[0]
	if pod.Name != "web" || pod.Namespace != "default" {
		t.Errorf("pod = %s/%s, want default/web (name kept as written)", pod.Namespace, pod.Name)
	}
	if pod.Spec.NodeName != testNode {
		t.Errorf("nodeName = %q, want %q", pod.Spec.NodeName, testNode)
	}
	if pod.UID == "" || pod.UID != PodUID(pod, "/etc/manifests/web.yaml", testNode) {
		t.Errorf("UID %q is not PodUID of the pod", pod.UID)
	}
	wantAnnotations := map[string]string{
		AnnotationConfigSource: "file",
		AnnotationConfigHash:   string(pod.UID),
		AnnotationManifestFile: "/etc/manifests/web.yaml",
	}
	for key, want := range wantAnnotations {
		if got := pod.Annotations[key]; got != want {
			t.Errorf("annotation %s = %q, want %q", key, got, want)
		}
	}
}

func TestDecodeMultiDocument(t *testing.T) {
	manifest := "---\n" + goodPod + "---\n# just a comment\n---\n" +
		strings.ReplaceAll(goodPod, "name: web\nspec", "name: api\n  namespace: prod\nspec")
	pods, ferr := DecodeManifest("/m/pods.yaml", []byte(manifest), testNode)
	if ferr != nil {
		t.Fatalf("unexpected error: %v", ferr)
	}
	var names []string
	for _, pod := range pods {
		names = append(names, pod.Namespace+"/"+pod.Name)
	}
	if want := []string{"default/web", "prod/api"}; !slices.Equal(names, want) {
		t.Fatalf("pods = %v, want %v (empty documents skipped)", names, want)
	}
}

func TestDecodeProblems(t *testing.T) {
	withContainer := func(lines string) string { return goodPod + lines }
	tests := []struct {
		name     string
		file     string
		manifest string
		want     []string
	}{{
		name:     "second document bad, whole file refused",
		file:     "pods.yaml",
		manifest: goodPod + "---\n" + strings.Replace(strings.Replace(goodPod, "image:", "imagee:", 1), "name: web", "name: two", 1),
		want:     []string{`pods.yaml: document 2: spec.containers[0]: unknown field "imagee" (did you mean "image"?)`},
	}, {
		name:     "same pod twice in one file",
		file:     "pods.yaml",
		manifest: goodPod + "---\n" + goodPod,
		want:     []string{`pods.yaml: document 2: metadata.name: pod default/web is already defined by document 1 of this file`},
	}, {
		// The parser points at the mapping it was in (line 13), one above the bad indent.
		name:     "YAML syntax error names the file line, counting earlier documents",
		file:     "pods.yaml",
		manifest: goodPod + "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n labels: {}\n",
		want:     []string{`pods.yaml: line 13: did not find expected key (check the indentation and brackets)`},
	}, {
		name:     "tab indentation",
		file:     "tab.yaml",
		manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n",
		want:     []string{`tab.yaml: line 4: found character that cannot start any token (indent with spaces; YAML does not allow tabs)`},
	}, {
		name:     "duplicate key",
		file:     "dup.yaml",
		manifest: "apiVersion: v1\nkind: Pod\nkind: Pod\n",
		want:     []string{`dup.yaml: line 3: a key is set twice in one mapping (remove one of the duplicate keys)`},
	}, {
		name:     "apiVersion and kind missing",
		file:     "bare.yaml",
		manifest: "metadata: {name: x}\nspec: {containers: [{name: a, image: b}]}\n",
		want: []string{
			`bare.yaml: apiVersion is missing (add "apiVersion: v1")`,
			`bare.yaml: kind is missing (add "kind: Pod")`,
		},
	}, {
		name:     "wrong apiVersion",
		file:     "d.yaml",
		manifest: strings.Replace(goodPod, "apiVersion: v1", "apiVersion: apps/v1", 1),
		want:     []string{`d.yaml: apiVersion "apps/v1" is not "v1"`},
	}, {
		name:     "every type error at once, with fixes",
		file:     "types.yaml",
		manifest: withContainer("    command: sleep 10\n    ports:\n    - containerPort: \"80\"\n    - containerPort: 99999999999\n    env:\n    - {name: A, value: 5}\n    resources: {limits: {cpu: lots}}\n    tty: \"yes\"\n    workingDir: n\n"),
		want: []string{
			`types.yaml: spec.containers[0].command: must be a list, got string "sleep 10" (write a list: one "- item" per line, or [a, b])`,
			`types.yaml: spec.containers[0].env[0].value: must be a string, got number 5 (put it in quotes: "5")`,
			`types.yaml: spec.containers[0].ports[0].containerPort: must be an integer, got string "80" (remove the quotes)`,
			`types.yaml: spec.containers[0].ports[1].containerPort: must be an integer, got number 99999999999 (it must fit in 32 bits)`,
			`types.yaml: spec.containers[0].resources.limits[cpu]: must be a quantity such as 500m or 128Mi, got string "lots"`,
			`types.yaml: spec.containers[0].tty: must be true or false, got string "yes"`,
			`types.yaml: spec.containers[0].workingDir: must be a string, got boolean false (YAML reads false, yes, no, on, off, y and n as booleans; put the value in quotes)`,
		},
	}, {
		name:     "unknown fields at several levels, case mistakes caught",
		file:     "u.yaml",
		manifest: strings.Replace(goodPod, "spec:", "specs: {}\nspec:\n  restartpolicy: Never", 1) + "    Image: x\n",
		want: []string{
			`u.yaml: unknown field "specs" (did you mean "spec"?)`,
			`u.yaml: spec: unknown field "restartpolicy" (did you mean "restartPolicy"?)`,
			`u.yaml: spec.containers[0]: unknown field "Image" (did you mean "image"?)`,
		},
	}, {
		name:     "indentation slip: a container field at the pod level",
		file:     "i.yaml",
		manifest: goodPod + "  ports:\n  - containerPort: 80\n",
		want:     []string{`i.yaml: spec: unknown field "ports" (it belongs under spec.containers[*])`},
	}, {
		name:     "unknown field with nothing close gets no guess",
		file:     "u.yaml",
		manifest: goodPod + "    zzzzzz: 1\n",
		want:     []string{`u.yaml: spec.containers[0]: unknown field "zzzzzz"`},
	}, {
		name:     "a list where an object belongs",
		file:     "l.yaml",
		manifest: "apiVersion: v1\nkind: Pod\nmetadata:\n- name: x\n",
		want:     []string{`l.yaml: metadata: must be an object, got a list`},
	}, {
		name:     "not an object at all",
		file:     "s.yaml",
		manifest: "- a\n- b\n",
		want: []string{`s.yaml: is not a Pod manifest: its 8 bytes hold a list, not an object (its content is not shown); ` +
			`a Pod is an object with apiVersion: v1, kind: Pod, metadata and spec`},
	}, {
		name:     "empty file",
		file:     "empty.yaml",
		manifest: "# nothing yet\n",
		want:     []string{`empty.yaml: holds no pod (the file is empty or only has comments); write a Pod, or delete the file to remove its pods`},
	}, {
		name:     "JSON syntax error has a line",
		file:     "p.json",
		manifest: "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\"\n\t\"metadata\": {}\n}\n",
		want:     []string{`p.json: line 3: did not find expected ',' or '}' (check the indentation and brackets)`},
	}, {
		name:     "node bound elsewhere",
		file:     "n.yaml",
		manifest: strings.Replace(goodPod, "spec:", "spec:\n  nodeName: other", 1),
		want:     []string{`n.yaml: spec.nodeName: pod is bound to node "other" but this node is "node-1" (remove nodeName: a static pod runs on the node that reads its file)`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.file, tt.manifest)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecodeJSONManifest(t *testing.T) {
	manifest := `{
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "j"},
	"spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}
}`
	pods, ferr := DecodeManifest("/m/j.json", []byte(manifest), testNode)
	if ferr != nil {
		t.Fatalf("unexpected error: %v", ferr)
	}
	if pods[0].Name != "j" {
		t.Errorf("name = %q", pods[0].Name)
	}
}

func TestDecodeMatchingNodeNameAndStatusAreAccepted(t *testing.T) {
	manifest := strings.Replace(goodPod, "spec:", "spec:\n  nodeName: node-1", 1) + "status:\n  phase: Running\n"
	pods, ferr := DecodeManifest("/m/web.yaml", []byte(manifest), testNode)
	if ferr != nil {
		t.Fatalf("unexpected error: %v", ferr)
	}
	if pods[0].Status.Phase != "" {
		t.Errorf("status from the file kept: %v", pods[0].Status.Phase)
	}
	plain, _ := DecodeManifest("/m/web.yaml", []byte(goodPod), testNode)
	if pods[0].UID != plain[0].UID {
		t.Errorf("a stale status or a matching nodeName changed the UID")
	}
}
