package staticpods

import (
	"strings"
	"testing"
)

// A label or annotation edit keeps the pod's UID, and must still reach the
// sync loop: the snapshot is published with the new metadata.
func TestWatchLabelEditIsPublishedUnderTheSameUID(t *testing.T) {
	h := startSource(t, Config{})
	h.saveAtomically("web.yaml", manifestFor("web", "nginx:1.27"))
	first := findPod(h.waitFor("pod web", podCalled("web")), "web").Pod

	labelled := strings.Replace(manifestFor("web", "nginx:1.27"), "  name: web\n", "  name: web\n  labels:\n    tier: front\n", 1)
	h.saveAtomically("web.yaml", labelled)
	snap := h.waitFor("web labelled", func(s Snapshot) bool {
		p := findPod(s, "web")
		return p != nil && p.Pod.Labels["tier"] == "front"
	})
	if again := findPod(snap, "web").Pod; again.UID != first.UID {
		t.Errorf("a label edit changed the UID from %s to %s", first.UID, again.UID)
	}
	annotated := strings.Replace(labelled, "  labels:\n", "  annotations:\n    owner: team-a\n  labels:\n", 1)
	h.saveAtomically("web.yaml", annotated)
	h.waitFor("web annotated", func(s Snapshot) bool {
		p := findPod(s, "web")
		return p != nil && p.Pod.Annotations["owner"] == "team-a"
	})
}
