package apiserver

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const twoContainers = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: a
    image: example.com/a:1
  - name: b
    image: example.com/b:1
`

const podURL = "/api/v1/namespaces/default/pods/web"

func TestStrategicMergePatchMergesContainersByName(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", twoContainers)
	code, resp := do(t, "PATCH", srv.URL+podURL, "application/strategic-merge-patch+json",
		`{"spec":{"containers":[{"name":"b","image":"example.com/b:2"}]}}`)
	pod := decode[v1.Pod](t, resp)
	if code != 200 || len(pod.Spec.Containers) != 2 || pod.Spec.Containers[0].Image != "example.com/a:1" || pod.Spec.Containers[1].Image != "example.com/b:2" {
		t.Fatalf("strategic patch of one container = %d %s", code, resp)
	}
	code, resp = do(t, "PATCH", srv.URL+podURL, "application/strategic-merge-patch+json",
		`{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}`)
	if pod := decode[v1.Pod](t, resp); code != 200 || len(pod.Spec.Containers) != 1 || pod.Spec.Containers[0].Name != "b" {
		t.Errorf("strategic patch deleting container a = %d %s", code, resp)
	}
}

func TestJSONPatchAndItsFailures(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", twoContainers)
	code, resp := do(t, "PATCH", srv.URL+podURL, "application/json-patch+json",
		`[{"op":"replace","path":"/spec/containers/1/image","value":"example.com/b:3"}]`)
	if pod := decode[v1.Pod](t, resp); code != 200 || pod.Spec.Containers[1].Image != "example.com/b:3" {
		t.Fatalf("JSON patch = %d %s", code, resp)
	}
	code, resp = do(t, "PATCH", srv.URL+podURL, "application/json-patch+json", `[{"op":"test","path":"/metadata/name","value":"other"}]`)
	if status := decode[metav1.Status](t, resp); code != 422 || !strings.Contains(status.Message, "does not apply") {
		t.Errorf("failing JSON patch test = %d %s", code, resp)
	}
	code, resp = do(t, "PATCH", srv.URL+podURL, "application/json-patch+json", `{"op":"add"}`)
	if code != 400 {
		t.Errorf("a JSON patch that is no list = %d %s", code, resp)
	}
	code, resp = do(t, "PATCH", srv.URL+podURL, "application/xml", `<x/>`)
	if code != 415 || !strings.Contains(resp, "strategic-merge-patch+json") {
		t.Errorf("an unknown patch type = %d %s", code, resp)
	}
}

func TestServerSideApplyIsRefusedNamingClientSideApply(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", twoContainers)
	code, resp := do(t, "PATCH", srv.URL+podURL+"?fieldManager=kubectl", "application/apply-patch+yaml", twoContainers)
	if code != 415 || !strings.Contains(resp, "kubectl apply -f") {
		t.Errorf("server-side apply = %d %s", code, resp)
	}
}

// handWritten is a manifest as a person lays one out: comments, keys in
// their own order, quotes.
const handWritten = `# The web pod, hand-written.
kind: Pod
apiVersion: v1
metadata:
  labels:
    app: web # the app
  name: web
spec:
  containers:
  - image: "example.com/a:1"
    name: a
    # ports it serves
    ports:
    - containerPort: 8080
`

func TestPatchWritesOnlyTheChangeIntoTheFilesLayout(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", handWritten)
	code, resp := do(t, "PATCH", srv.URL+podURL, "application/strategic-merge-patch+json",
		`{"metadata":{"labels":{"tier":"front"}},"spec":{"containers":[{"name":"a","image":"example.com/a:2"}]}}`)
	if code != 200 {
		t.Fatalf("patch = %d %s", code, resp)
	}
	want := strings.NewReplacer("    app: web # the app\n", "    app: web # the app\n    tier: front\n", "a:1", "a:2").Replace(handWritten)
	if got := readFile(t, s.cfg.ManifestDir, "web.yaml"); got != want {
		t.Errorf("manifest after the patch:\n%s\nwant:\n%s", got, want)
	}
}

func TestLabelAndAnnotationPatchesKeepThePodsUID(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", twoContainers)
	_, resp := do(t, "GET", srv.URL+podURL, "", "")
	before := decode[v1.Pod](t, resp)
	code, resp := do(t, "PATCH", srv.URL+podURL, "application/merge-patch+json",
		`{"metadata":{"labels":{"tier":"front"},"annotations":{"owner":"team-a"}}}`)
	after := decode[v1.Pod](t, resp)
	if code != 200 || after.Labels["tier"] != "front" || after.Annotations["owner"] != "team-a" {
		t.Fatalf("label patch = %d %s", code, resp)
	}
	if after.UID != before.UID {
		t.Errorf("a label and an annotation changed the pod's UID from %s to %s: the pod would be replaced", before.UID, after.UID)
	}
	if text := readFile(t, s.cfg.ManifestDir, "web.yaml"); !strings.Contains(text, "tier: front") || !strings.Contains(text, "owner: team-a") {
		t.Errorf("manifest after the label patch:\n%s", text)
	}
	// The same labels again change nothing.
	_, resp = do(t, "PATCH", srv.URL+podURL, "application/merge-patch+json", `{"metadata":{"labels":{"tier":"front"}}}`)
	if again := decode[v1.Pod](t, resp); again.ResourceVersion != after.ResourceVersion {
		t.Errorf("a patch that changes nothing gave resourceVersion %s after %s", again.ResourceVersion, after.ResourceVersion)
	}
}

func TestDryRunPatchWritesNothingAndPreviewsThePod(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", twoContainers)
	src.setStatus("web", v1.PodStatus{Phase: v1.PodRunning, PodIP: "10.88.0.5"})
	_, resp := do(t, "GET", srv.URL+podURL, "", "")
	before := decode[v1.Pod](t, resp)
	code, resp := do(t, "PATCH", srv.URL+podURL+"?dryRun=All", "application/strategic-merge-patch+json",
		`{"spec":{"containers":[{"name":"a","image":"example.com/a:9"}]}}`)
	preview := decode[v1.Pod](t, resp)
	if code != 200 || preview.Spec.Containers[0].Image != "example.com/a:9" || preview.Status.PodIP != "10.88.0.5" || preview.UID == before.UID {
		t.Errorf("dry-run patch = %d %s", code, resp)
	}
	if text := readFile(t, s.cfg.ManifestDir, "web.yaml"); text != twoContainers {
		t.Errorf("a dry run wrote the manifest:\n%s", text)
	}
	code, resp = do(t, "PATCH", srv.URL+podURL+"?dryRun=All", "application/strategic-merge-patch+json", `{}`)
	if same := decode[v1.Pod](t, resp); code != 200 || same.ResourceVersion != before.ResourceVersion || same.UID != before.UID {
		t.Errorf("an empty dry-run patch = %d %s, want the pod as served", code, resp)
	}
}
