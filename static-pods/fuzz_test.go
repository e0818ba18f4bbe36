package staticpods

import (
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// FuzzDecodeManifest feeds DecodeManifest arbitrary files (seeds in
// testdata/fuzz/FuzzDecodeManifest) and checks what holds for every
// input: no panic, a bounded and consistent error, pods stamped, and an
// answer well within a second.
func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(goodPod), false)
	f.Add([]byte(kubiaManual), false)
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"containers":[{"name":"c","image":"i"}]}}`), true)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		file := "/etc/manifests/fuzz.yaml"
		if asJSON {
			file = "/etc/manifests/fuzz.json"
		}
		start, startCPU := time.Now(), testutil.CPUTime(t)
		pods, ferr := DecodeManifest(file, data, testNode)
		if cpu := testutil.CPUTime(t) - startCPU; cpu > 2*time.Second {
			t.Errorf("decoding %d bytes took %s of CPU (%s of wall time)", len(data), cpu, time.Since(start))
		}
		if ferr == nil {
			if len(pods) == 0 || len(pods) > maxDocuments {
				t.Fatalf("%d pods and no error", len(pods))
			}
			for _, pod := range pods {
				if pod.UID == "" || pod.Spec.NodeName != testNode || len(pod.Namespace)+len(pod.Name) > MaxNamespacedNameLength {
					t.Errorf("pod %s/%s uid %q node %q is not stamped or too long a name", pod.Namespace, pod.Name, pod.UID, pod.Spec.NodeName)
				}
			}
			return
		}
		if pods != nil {
			t.Errorf("pods together with an error")
		}
		if len(ferr.Messages) == 0 || len(ferr.Messages) != len(ferr.Errors) || len(ferr.Messages) > maxProblems+1 {
			t.Fatalf("%d messages, %d structured errors: want 1 to %d of each", len(ferr.Messages), len(ferr.Errors), maxProblems+1)
		}
		if len(ferr.Pods) > maxDocuments {
			t.Errorf("the error names %d pods", len(ferr.Pods))
		}
		for i, message := range ferr.Messages {
			if len(message) > maxMessageBytes || ferr.Errors[i] == nil || len(ferr.Errors[i].Field) > maxMessageBytes {
				t.Errorf("message %d: %d bytes, error %v", i, len(message), ferr.Errors[i])
			}
		}
	})
}
