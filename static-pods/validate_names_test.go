package staticpods

import (
	"strconv"
	"strings"
	"testing"
)

// TestPodNamesMustFitAFileName: a valid Kubernetes name that cannot become
// the pod's log directory (<namespace>_<name>_<uid>, at most 255 bytes) is
// refused at validation, naming the field and the limit.
func TestPodNamesMustFitAFileName(t *testing.T) {
	tests := []struct {
		namespace string
		name      int // length
		refused   bool
	}{
		{"default", 210, false},
		{"default", 211, true},
		{"default", 253, true}, // the longest name Kubernetes accepts
		{strings.Repeat("n", 63), 154, false},
		{strings.Repeat("n", 63), 155, true},
	}
	for _, tt := range tests {
		name := strings.Repeat("p", tt.name)
		manifest := podManifest("  name: "+name+"\n  namespace: "+tt.namespace+"\n", "  containers:\n  - {name: a, image: x}\n")
		pods, ferr := DecodeManifest("/m/long.yaml", []byte(manifest), testNode)
		if !tt.refused {
			if ferr != nil {
				t.Errorf("namespace %d + name %d characters: refused: %v", len(tt.namespace), tt.name, ferr)
				continue
			}
			if dir := tt.namespace + "_" + name + "_" + string(pods[0].UID); len(dir) > 255 {
				t.Errorf("accepted a pod whose log directory name has %d bytes", len(dir))
			}
			continue
		}
		limit := MaxNamespacedNameLength - len(tt.namespace)
		want := "long.yaml: metadata.name: is " + strconv.Itoa(tt.name) + " characters; in namespace \"" + tt.namespace +
			"\" a pod name may have at most " + strconv.Itoa(limit) + ", because the pod's log directory <namespace>_<name>_<uid> " +
			"must fit the 255-byte limit on a file name (namespace and name together at most 217); shorten the name"
		if ferr == nil || len(ferr.Messages) != 1 || ferr.Messages[0] != want || ferr.Errors[0].Field != "metadata.name" {
			t.Errorf("namespace %d + name %d characters: got %v, want %q", len(tt.namespace), tt.name, ferr, want)
		}
	}
}
