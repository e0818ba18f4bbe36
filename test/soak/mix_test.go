package soak

import (
	"math/rand/v2"
	"testing"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// Every kind's manifest is a pod the agent accepts, with the kind's label.
func TestManifestsAreValidPods(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			m := Manifest{Kind: kind, Name: "soak-" + string(kind), Image: "127.0.0.1:5000/minikubelet/kubia:1.0", HostPort: 30080}
			pods, ferr := staticpods.DecodeManifest(m.Name+".yaml", []byte(m.YAML()), "node")
			if ferr != nil {
				t.Fatalf("the agent refuses the %s manifest: %v\n%s", kind, ferr, m.YAML())
			}
			if len(pods) != 1 || pods[0].Labels[KindLabel] != string(kind) {
				t.Fatalf("decoded %d pods, labels %v", len(pods), pods[0].Labels)
			}
		})
	}
}

// An edit must change the pod to the agent (a new UID), or the soak's
// edited pods would not be replaced.
func TestEditGivesANewPod(t *testing.T) {
	uid := func(edit int) string {
		m := Manifest{Kind: KindEdited, Name: "soak-edited", Image: "kubia", Edit: edit}
		pods, ferr := staticpods.DecodeManifest("soak-edited.yaml", []byte(m.YAML()), "node")
		if ferr != nil {
			t.Fatal(ferr)
		}
		return string(staticpods.PodUID(pods[0], "soak-edited.yaml", "node"))
	}
	if uid(0) == uid(1) || uid(1) == uid(2) {
		t.Fatalf("edits keep the UID: %s %s %s", uid(0), uid(1), uid(2))
	}
}

func TestPickKindFollowsTheMix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[Kind]int{}
	const draws = 16000
	for range draws {
		counts[PickKind(r, nil)]++
	}
	for _, m := range mix {
		want := draws * m.weight / 16
		if got := counts[m.kind]; got < want*8/10 || got > want*12/10 {
			t.Errorf("%s drawn %d times in %d, want about %d", m.kind, got, draws, want)
		}
	}
}

func TestPickKindOnlyFromTheKindsAsked(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	only := []Kind{KindCrashLoop, KindEdited}
	counts := map[Kind]int{}
	for range 3000 {
		counts[PickKind(r, only)]++
	}
	// Weights 1 and 2: about 1000 and 2000.
	if len(counts) != 2 || counts[KindCrashLoop] < 800 || counts[KindCrashLoop] > 1200 || counts[KindEdited] < 1800 {
		t.Fatalf("drawn: %v", counts)
	}
}
