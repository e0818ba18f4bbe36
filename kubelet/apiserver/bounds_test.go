package apiserver

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
	"github.com/minikubelet/minikubelet/test/testutil"
)

// maxProblemLines is the manifest source's cap on a file's problems (100)
// and the line that says how many more there are.
const maxProblemLines = 101

// hostileBodies are pod bodies built to make the API work hard.
func hostileBodies() map[string]string {
	pod := func(containers string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hostile"},"spec":{"containers":` + containers + `}}`
	}
	repeatTo := func(unit string, size int) string { return strings.Repeat(unit, size/len(unit)) }
	return map[string]string{
		"10 MiB list of numbers":         pod("[" + repeatTo("1,", 10<<20) + "1]"),
		"1.5 MiB list of numbers":        pod("[" + repeatTo("1,", maxBody-200) + "1]"),
		"1.5 MiB of mismatched fields":   pod("[" + repeatTo(`{"nam":1,"imag":2,"port":"x"},`, maxBody-200) + "{}]"),
		"mismatches within the budget":   pod("[" + repeatTo("1,", staticpods.MaxValues-100) + "1]"),
		"unknown fields within budget":   pod("[" + repeatTo(`{"nam":1,"imag":2},`, 3*staticpods.MaxValues) + "{}]"),
		"empty containers within budget": pod("[" + repeatTo("{},", staticpods.MaxValues-100) + "{}]"),
		"name near the size limit":       strings.Replace(pod(`[{"name":"a","image":"b"}]`), `"hostile"`, `"`+repeatTo("w", maxBody-200)+`"`, 1),
	}
}

// TestHostileBodiesCostLittle pins the bounds of create: a short answer
// (413 past the size or value limits, else a 422 of at most 101 causes),
// in CPU time and memory far below what decoding the body in full would
// take.
func TestHostileBodiesCostLittle(t *testing.T) {
	_, srv, _ := newTestServer(t)
	const (
		maxAllocated = 160 << 20 // bytes allocated by client and server for one request
		maxAnswer    = 160 << 10
		maxCPU       = 5 * time.Second // used by client and server for one request
	)
	for name, body := range hostileBodies() {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start, startCPU := time.Now(), testutil.CPUTime(t)
			code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", body)
			elapsed, cpu := time.Since(start), testutil.CPUTime(t)-startCPU
			runtime.ReadMemStats(&after)
			status := decode[metav1.Status](t, resp)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes in: %d, %d bytes out, %s (%s of CPU), %d MiB allocated: %s", len(body), code, len(resp),
				elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), allocated>>20, shortText(status.Message, 200))
			switch code {
			case http.StatusRequestEntityTooLarge:
				if status.Reason != metav1.StatusReasonRequestEntityTooLarge || !strings.Contains(status.Message, "the request body") {
					t.Errorf("413 without a clear Status: %s", shortText(resp, 300))
				}
			case http.StatusUnprocessableEntity:
				if status.Details == nil || len(status.Details.Causes) == 0 || len(status.Details.Causes) > maxProblemLines {
					t.Errorf("422 with %d causes, want 1 to %d", causes(status), maxProblemLines)
				}
			default:
				t.Errorf("answer %d, want 413 or 422: %s", code, shortText(resp, 300))
			}
			if len(resp) > maxAnswer {
				t.Errorf("answer of %d bytes, want at most %d", len(resp), maxAnswer)
			}
			if allocated > maxAllocated {
				t.Errorf("the request allocated %d MiB, want at most %d MiB", allocated>>20, maxAllocated>>20)
			}
			if cpu > maxCPU {
				t.Errorf("the request took %s of CPU (%s of wall time), want at most %s", cpu, elapsed, maxCPU)
			}
		})
	}
}

func TestBodyLimitsAnswer413WithAClearStatus(t *testing.T) {
	src, srv, _ := newTestServer(t)
	src.write(t, "web.yaml", podYAML("web"))
	aliases := "apiVersion: v1\nkind: Pod\nmetadata: {name: aliased}\nx: &x [" + strings.Repeat("a,", 2000) + "a]\n" +
		"spec: {containers: [{name: a, image: b}], y: [" + strings.Repeat("*x,", 100) + "*x]}\n"
	tests := []struct {
		name, method, path, contentType, body, want string
	}{
		{"over the size", "POST", "/api/v1/namespaces/default/pods", "application/json", strings.Repeat(" ", maxBody+1),
			"the request body is over the 1.5 MiB (1572864 bytes) limit on a pod"},
		{"too many values", "POST", "/api/v1/namespaces/default/pods", "application/json", "[" + strings.Repeat("1,", staticpods.MaxValues*2) + "1]",
			"the request body holds more values than any pod needs: a pod may hold at most 32768"},
		{"YAML aliases", "POST", "/api/v1/namespaces/default/pods", "application/yaml", aliases,
			"the request body holds more values than any pod needs"},
		{"a merge patch over the size", "PATCH", "/api/v1/namespaces/default/pods/web", "application/merge-patch+json",
			`{"metadata":{"labels":{"a":"` + strings.Repeat("b", maxBody) + `"}}}`, "the request body is over the 1.5 MiB"},
	}
	for _, tt := range tests {
		code, resp := do(t, tt.method, srv.URL+tt.path, tt.contentType, tt.body)
		status := decode[metav1.Status](t, resp)
		if code != 413 || status.Code != 413 || status.Reason != metav1.StatusReasonRequestEntityTooLarge || !strings.Contains(status.Message, tt.want) {
			t.Errorf("%s: %d %s, want 413 saying %q", tt.name, code, shortText(resp, 300), tt.want)
		}
	}
}

// TestLongNamesGet422NotA500: a valid Kubernetes name too long to become
// a file name is refused naming the field and the limit.
func TestLongNamesGet422NotA500(t *testing.T) {
	_, srv, s := newTestServer(t)
	for _, length := range []int{229, 253} {
		name := strings.Repeat("n", length)
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},"spec":{"containers":[{"name":"a","image":"b"}]}}`, name)
		code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", body)
		status := decode[metav1.Status](t, resp)
		if code != 422 || causes(status) != 1 || status.Details.Causes[0].Field != "metadata.name" ||
			!strings.Contains(status.Message, fmt.Sprintf("is %d characters; in namespace \"default\" a pod name may have at most 210", length)) {
			t.Errorf("name of %d characters: %d %s", length, code, shortText(resp, 500))
		}
	}
	name := strings.Repeat("n", 210)
	body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q},"spec":{"containers":[{"name":"a","image":"b"}]}}`, name)
	if code, resp := do(t, "POST", srv.URL+"/api/v1/namespaces/default/pods", "application/json", body); code != 201 {
		t.Errorf("name of 210 characters: %d %s", code, shortText(resp, 500))
	}
	if files := manifestFiles(t, s.cfg.ManifestDir); len(files) != 1 || len(files[0]) != len("default_")+210+len(".yaml") {
		t.Errorf("manifest files = %v", files)
	}
}

func causes(status metav1.Status) int {
	if status.Details == nil {
		return 0
	}
	return len(status.Details.Causes)
}

func shortText(text string, limit int) string {
	if len(text) <= limit {
		return text
	}
	return text[:limit] + fmt.Sprintf("… (%d bytes)", len(text))
}
