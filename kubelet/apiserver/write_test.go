package apiserver

import (
	"slices"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func TestCreateWritesManifestAtomically(t *testing.T) {
	_, srv, s := newTestServer(t)
	body, _ := yaml.YAMLToJSON([]byte(podYAML("web")))
	code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", string(body))
	pod := decode[v1.Pod](t, resp)
	if code != 201 || pod.Name != "web" || pod.UID == "" || pod.Kind != "Pod" {
		t.Fatalf("create = %d %s", code, resp)
	}
	if files := manifestFiles(t, s.cfg.ManifestDir); !slices.Equal(files, []string{"default_web.yaml"}) {
		t.Errorf("manifest dir = %v, want only default_web.yaml (no temporary file left)", files)
	}
	if text := readFile(t, s.cfg.ManifestDir, "default_web.yaml"); !strings.Contains(text, "image: example.com/app:1") || strings.Contains(text, "status") {
		t.Errorf("manifest = %s", text)
	}
	code, resp = do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", string(body))
	if status := decode[metav1.Status](t, resp); code != 409 || status.Reason != metav1.StatusReasonAlreadyExists {
		t.Errorf("second create = %d %s", code, resp)
	}
}

func TestCreateRoundTripsAServedPod(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	src.setStatus("web", v1.PodStatus{Phase: v1.PodRunning, PodIP: "10.88.0.5"})
	_, served := do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods/web", "", "")
	copied := strings.Replace(served, `"name":"web"`, `"name":"web2"`, 1)
	code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", copied)
	if code != 201 {
		t.Fatalf("create from a served pod = %d %s", code, resp)
	}
	text := readFile(t, s.cfg.ManifestDir, "default_web2.yaml")
	for _, leaked := range []string{"status:", "uid:", "resourceVersion", "config.hash", "manifest-file"} {
		if strings.Contains(text, leaked) {
			t.Errorf("written manifest keeps %q:\n%s", leaked, text)
		}
	}
}

func TestCreateRefusesInvalidPodWithFieldCauses(t *testing.T) {
	_, srv, s := newTestServer(t)
	bad := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"app","image":"x","imagePullPolicy":"Sometimes"}]}}`
	code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", bad)
	status := decode[metav1.Status](t, resp)
	if code != 422 || status.Reason != metav1.StatusReasonInvalid || status.Details == nil || len(status.Details.Causes) == 0 {
		t.Fatalf("invalid create = %d %s", code, resp)
	}
	if cause := status.Details.Causes[0]; cause.Field != "spec.containers[0].imagePullPolicy" || !strings.HasPrefix(status.Message, `Pod "web" is invalid: `) {
		t.Errorf("cause = %+v, message %q", cause, status.Message)
	}
	if files := manifestFiles(t, s.cfg.ManifestDir); len(files) != 0 {
		t.Errorf("an invalid pod left files: %v", files)
	}
	code, resp = do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"other"},"spec":{}}`)
	if code != 400 || !strings.Contains(resp, "does not match the namespace of the request") {
		t.Errorf("namespace mismatch = %d %s", code, resp)
	}
}

func TestCreateAcceptsYAMLAndGenerateName(t *testing.T) {
	_, srv, _ := newTestServer(t)
	manifest := strings.Replace(podYAML("x"), "name: x", "generateName: web-", 1)
	code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/yaml", manifest)
	if pod := decode[v1.Pod](t, resp); code != 201 || !strings.HasPrefix(pod.Name, "web-") || len(pod.Name) != len("web-")+5 {
		t.Errorf("generateName create = %d %s", code, resp)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	_, srv, s := newTestServer(t)
	body, _ := yaml.YAMLToJSON([]byte(podYAML("web")))
	code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods?dryRun=All", "application/json", string(body))
	if code != 201 || len(manifestFiles(t, s.cfg.ManifestDir)) != 0 {
		t.Errorf("dry run = %d %s, files %v", code, resp, manifestFiles(t, s.cfg.ManifestDir))
	}
}

func TestReplaceAndPatchRewriteTheDefiningFile(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	_, before := do(t, "GET", srv.URL+"/api/v1/namespaces/default/pods/web", "", "")
	same, _ := yaml.YAMLToJSON([]byte(podYAML("web")))
	code, resp := do(t, "PUT", srv.URL+"/api/v1/namespaces/default/pods/web", "application/json", string(same))
	if code != 200 || decode[v1.Pod](t, resp).UID != decode[v1.Pod](t, before).UID {
		t.Errorf("unchanged replace = %d %s", code, resp)
	}
	changed, _ := yaml.YAMLToJSON([]byte(strings.Replace(podYAML("web"), "app:1", "app:2", 1)))
	code, resp = do(t, "PUT", srv.URL+"/api/v1/namespaces/default/pods/web", "application/json", string(changed))
	if code != 200 || !strings.Contains(readFile(t, s.cfg.ManifestDir, "web.yaml"), "example.com/app:2") {
		t.Errorf("replace = %d %s", code, resp)
	}
	code, resp = do(t, "PATCH", srv.URL+"/api/v1/namespaces/default/pods/web", "application/merge-patch+json", `{"metadata":{"labels":{"tier":"front"}}}`)
	text := readFile(t, s.cfg.ManifestDir, "web.yaml")
	if code != 200 || !strings.Contains(text, "tier: front") || !strings.Contains(text, "app: web") || strings.Contains(text, "status:") {
		t.Errorf("patch = %d %s\nfile:\n%s", code, resp, text)
	}
	code, _ = do(t, "PUT", srv.URL+"/api/v1/namespaces/default/pods/nope", "application/json", strings.Replace(string(same), `"name":"web"`, `"name":"nope"`, 1))
	if code != 404 {
		t.Errorf("replace of a missing pod = %d", code)
	}
}

func TestDeleteRemovesWhicheverFileDefinesThePod(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "hand-written.yml", podYAML("web"))
	code, resp := do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/pods/web", "application/json", `{"propagationPolicy":"Background"}`)
	if pod := decode[v1.Pod](t, resp); code != 200 || pod.DeletionTimestamp == nil {
		t.Errorf("delete = %d %s", code, resp)
	}
	if files := manifestFiles(t, s.cfg.ManifestDir); len(files) != 0 {
		t.Errorf("files after delete: %v", files)
	}
	code, _ = do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/pods/web", "", "")
	if code != 404 {
		t.Errorf("second delete = %d", code)
	}
}

func TestDeleteRefusesAFileShared(t *testing.T) {
	src, srv, s := newTestServer(t)
	src.write(t, "both.yaml", podYAML("web")+"---\n"+podYAML("db"))
	code, resp := do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/pods/web", "", "")
	if status := decode[metav1.Status](t, resp); code != 409 || !strings.Contains(status.Message, "also defines default/web, default/db") {
		t.Errorf("delete from a shared file = %d %s", code, resp)
	}
	if files := manifestFiles(t, s.cfg.ManifestDir); len(files) != 1 {
		t.Errorf("files = %v", files)
	}
}

func TestDeletePreconditionUID(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	code, resp := do(t, "DELETE", srv.URL+"/api/v1/namespaces/default/pods/web", "application/json", `{"preconditions":{"uid":"other"}}`)
	if code != 409 || !strings.Contains(resp, "precondition UID other") {
		t.Errorf("delete with a stale UID = %d %s", code, resp)
	}
}
