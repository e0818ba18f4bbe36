package kubelet

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestAdmitPods(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	pod := func(uid, name string, since int) admissionPod {
		return admissionPod{UID: types.UID(uid), Name: types.NamespacedName{Namespace: "default", Name: name},
			Since: t0.Add(time.Duration(since) * time.Second), Wanted: true}
	}
	holding := func(p admissionPod) admissionPod { p.Holds = true; return p }
	leaving := func(p admissionPod) admissionPod { p.Holds, p.Wanted = true, false; return p }
	finished := func(p admissionPod) admissionPod { p.Finished = true; return p }
	orphan := admissionPod{UID: "orphan", Holds: true}

	tests := []struct {
		name     string
		pods     []admissionPod
		limit    int
		admitted []string
		waiting  []string
		used     int // in the waiting pods' message
	}{
		{name: "room for all", limit: 3,
			pods:     []admissionPod{pod("a", "a", 0), pod("b", "b", 0), pod("c", "c", 0)},
			admitted: []string{"a", "b", "c"}},
		{name: "oldest first", limit: 2,
			pods:     []admissionPod{pod("new", "a", 2), pod("old", "z", 0), pod("mid", "m", 1)},
			admitted: []string{"mid", "old"}, waiting: []string{"new"}, used: 2},
		{name: "same time: by namespace/name, not by UID", limit: 1,
			pods:     []admissionPod{pod("1", "web-b", 0), pod("2", "web-a", 0)},
			admitted: []string{"2"}, waiting: []string{"1"}, used: 1},
		{name: "running pods keep their slots; only the rest wait", limit: 2,
			pods:     []admissionPod{holding(pod("a", "a", 5)), pod("b", "b", 0), pod("c", "c", 1)},
			admitted: []string{"b"}, waiting: []string{"c"}, used: 2},
		{name: "over the limit (lowered maxPods): nothing evicted, nothing admitted", limit: 2,
			pods:    []admissionPod{holding(pod("a", "a", 0)), holding(pod("b", "b", 0)), holding(pod("c", "c", 0)), pod("d", "d", 0)},
			waiting: []string{"d"}, used: 3},
		{name: "a pod being torn down keeps its slot until it is gone", limit: 2,
			pods:    []admissionPod{holding(pod("a", "a", 0)), leaving(pod("gone", "gone", 0)), pod("c", "c", 1)},
			waiting: []string{"c"}, used: 2},
		{name: "an adopted orphan holds a slot", limit: 1,
			pods:    []admissionPod{orphan, pod("a", "a", 0)},
			waiting: []string{"a"}, used: 1},
		{name: "finished pods hold no slot", limit: 1,
			pods:     []admissionPod{finished(holding(pod("done", "done", 0))), pod("a", "a", 1)},
			admitted: []string{"a"}},
		{name: "an edited pod takes over its old version's slot ahead of older waiting pods", limit: 2,
			pods: []admissionPod{holding(pod("a", "a", 0)), leaving(pod("web-v1", "web", 0)),
				pod("waiting", "old", 1), pod("web-v2", "web", 9)},
			admitted: []string{"web-v2"}, waiting: []string{"waiting"}, used: 2},
		{name: "the new version, once admitted, counts once with the old", limit: 2,
			pods: []admissionPod{holding(pod("a", "a", 0)), leaving(pod("web-v1", "web", 0)), holding(pod("web-v2", "web", 9)),
				pod("waiting", "old", 1)},
			waiting: []string{"waiting"}, used: 2},
		{name: "no pods", limit: 110},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := admitPods(tt.pods, tt.limit)
			var admitted, waiting []string
			for uid := range got.Admitted {
				admitted = append(admitted, string(uid))
			}
			for uid, msg := range got.Waiting {
				waiting = append(waiting, string(uid))
				want := outOfPodsMessage(tt.used, tt.limit)
				if msg != want {
					t.Errorf("%s: message %q, want %q", uid, msg, want)
				}
			}
			sort.Strings(admitted)
			sort.Strings(waiting)
			if !reflect.DeepEqual(admitted, tt.admitted) || !reflect.DeepEqual(waiting, tt.waiting) {
				t.Errorf("admitted %v waiting %v, want admitted %v waiting %v", admitted, waiting, tt.admitted, tt.waiting)
			}
		})
	}
}

func TestOutOfPodsMessageIsTheKubeletsWithAHint(t *testing.T) {
	msg := outOfPodsMessage(110, 110)
	for _, want := range []string{"Node didn't have enough resource: pods, requested: 1, used: 110, capacity: 110", "maxPods (--max-pods)", "delete another pod"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
