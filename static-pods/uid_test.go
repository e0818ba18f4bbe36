package staticpods

import (
	"regexp"
	"strings"
	"testing"
)

func TestPodUIDIsStableAndFollowsEveryInput(t *testing.T) {
	uidOf := func(manifest, file, node string) string {
		t.Helper()
		pods, ferr := DecodeManifest(file, []byte(manifest), node)
		if ferr != nil {
			t.Fatalf("decode: %v", ferr)
		}
		return string(pods[0].UID)
	}
	base := uidOf(goodPod, "/m/web.yaml", "n1")
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(base) {
		t.Fatalf("UID %q is not formatted as a UID", base)
	}
	same := map[string]string{
		"same input again":      uidOf(goodPod, "/m/web.yaml", "n1"),
		"only a comment added":  uidOf("# hello\n"+goodPod, "/m/web.yaml", "n1"),
		"a default spelled out": uidOf(goodPod+"  restartPolicy: Always\n", "/m/web.yaml", "n1"),
		// kubectl label and annotate must not replace what runs.
		"a label added":       uidOf(strings.Replace(goodPod, "  name: web\n", "  name: web\n  labels:\n    tier: front\n", 1), "/m/web.yaml", "n1"),
		"an annotation added": uidOf(strings.Replace(goodPod, "  name: web\n", "  name: web\n  annotations:\n    owner: a\n", 1), "/m/web.yaml", "n1"),
	}
	for what, uid := range same {
		if uid != base {
			t.Errorf("%s: UID changed to %s", what, uid)
		}
	}
	different := map[string]string{
		"image edited": uidOf(strings.Replace(goodPod, "1.27", "1.28", 1), "/m/web.yaml", "n1"),
		"other file":   uidOf(goodPod, "/m/web2.yaml", "n1"),
		"other node":   uidOf(goodPod, "/m/web.yaml", "n2"),
		"other name":   uidOf(strings.Replace(goodPod, "name: web\nspec", "name: web2\nspec", 1), "/m/web.yaml", "n1"),
	}
	for what, uid := range different {
		if uid == base {
			t.Errorf("%s: UID did not change", what)
		}
	}
}

func TestPodUIDIgnoresItsOwnStamps(t *testing.T) {
	pods, _ := DecodeManifest("/m/web.yaml", []byte(goodPod), "n1")
	if again := PodUID(pods[0], "/m/web.yaml", "n1"); again != pods[0].UID {
		t.Errorf("PodUID of the stamped pod = %s, want %s", again, pods[0].UID)
	}
}
