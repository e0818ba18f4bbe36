package apiserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// podBodyRequests are the ways a pod body reaches the API: create,
// replace and merge patch, each in dry-run so nothing is written.
var podBodyRequests = []struct{ method, path, contentType string }{
	{"POST", "/api/v1/namespaces/default/pods?dryRun=All", "application/json"},
	{"POST", "/api/v1/namespaces/default/pods?dryRun=All", "application/yaml"},
	{"PUT", "/api/v1/namespaces/default/pods/web?dryRun=All", "application/json"},
	{"PUT", "/api/v1/namespaces/default/pods/web?dryRun=All", "application/yaml"},
	{"PATCH", "/api/v1/namespaces/default/pods/web?dryRun=All", "application/merge-patch+json"},
}

// FuzzPodBody sends arbitrary bodies (seeds in testdata/fuzz/FuzzPodBody)
// through the create, replace and patch handlers and checks what holds
// for every input: no panic, never a 500, a short answer (a 422 has at
// most 101 causes), fast.
func FuzzPodBody(f *testing.F) {
	web := podYAML("web")
	f.Add(uint8(0), []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"a","image":"b"}]}}`))
	f.Add(uint8(1), []byte(web))
	f.Add(uint8(3), []byte(strings.Replace(web, "app:1", "app:2", 1)))
	f.Add(uint8(4), []byte(`{"metadata":{"labels":{"tier":"front"}}}`))
	src := newDirSourceIn(f.TempDir())
	if err := os.WriteFile(filepath.Join(src.dir, "web.yaml"), []byte(web), 0o600); err != nil {
		f.Fatal(err)
	}
	server, err := New(Config{Pods: src, ManifestDir: src.dir, NodeName: testNode, CreateWait: time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	handler := server.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		request := podBodyRequests[int(which)%len(podBodyRequests)]
		req := httptest.NewRequest(request.method, request.path, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", request.contentType)
		answer := httptest.NewRecorder()
		start, startCPU := time.Now(), testutil.CPUTime(t)
		handler.ServeHTTP(answer, req)
		if cpu := testutil.CPUTime(t) - startCPU; cpu > 2*time.Second {
			t.Errorf("%s with %d bytes took %s of CPU (%s of wall time)", request.method, len(body), cpu, time.Since(start))
		}
		switch answer.Code {
		case http.StatusOK, http.StatusCreated, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict,
			http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("%s %s: answer %d: %.500s", request.method, request.contentType, answer.Code, answer.Body.String())
		}
		if size := answer.Body.Len(); size > len(body)+64<<10 && size > 160<<10 {
			t.Errorf("an answer of %d bytes to a body of %d", size, len(body))
		}
		if answer.Code == http.StatusUnprocessableEntity {
			var status metav1.Status
			if err := json.Unmarshal(answer.Body.Bytes(), &status); err != nil || causes(status) > maxProblemLines {
				t.Errorf("422 with %d causes (%v)", causes(status), err)
			}
		}
	})
}
