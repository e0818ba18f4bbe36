package kubelet

import (
	"fmt"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestPodEventsKeepTheNewest(t *testing.T) {
	rec := newPodRecord(testPod(v1.RestartPolicyAlways, nil, "a"), planNow)
	for i := range maxEventsPerPod + 7 {
		rec.addEvent(Event{Reason: fmt.Sprint(i)})
	}
	if len(rec.events) != maxEventsPerPod || rec.events[0].Reason != "7" || rec.events[maxEventsPerPod-1].Reason != fmt.Sprint(maxEventsPerPod+6) {
		t.Fatalf("%d events from %s to %s; want the newest %d", len(rec.events), rec.events[0].Reason, rec.events[len(rec.events)-1].Reason, maxEventsPerPod)
	}
}

// Pods lists what a user asks about: wanted and terminating pods, sorted,
// and a broken manifest's pods that run nothing, with its problem as the
// reason.
func TestPodsView(t *testing.T) {
	named := func(ns, name, uid string) *v1.Pod {
		pod := testPod(v1.RestartPolicyAlways, nil, "a")
		pod.Namespace, pod.Name, pod.UID = ns, name, types.UID(uid)
		return pod
	}
	k := &Kubelet{cfg: Config{Now: func() time.Time { return planNow }}, pods: map[types.UID]*podRecord{}, changed: make(chan struct{})}
	k.pods["u1"] = newPodRecord(named("default", "web", "u1"), planNow)
	old := newPodRecord(named("default", "web", "u0"), planNow) // the previous version, still stopping
	old.desired = nil
	k.pods["u0"] = old
	k.pods["u2"] = newPodRecord(named("a-team", "db", "u2"), planNow)
	k.pods["orphan"] = &podRecord{firstSeen: planNow} // adopted from the runtime, no spec
	broken := types.NamespacedName{Namespace: "default", Name: "cache"}
	k.manifestErrors = []ManifestError{
		{File: "/m/cache.yaml", Messages: []string{"spec.containers[0].image: required"}, Pods: []types.NamespacedName{broken}},
		{File: "/m/web.yaml", Messages: []string{"stale"}, Pods: []types.NamespacedName{{Namespace: "default", Name: "web"}}},
	}
	var got []string
	for _, v := range k.Pods() {
		got = append(got, fmt.Sprintf("%s/%s %s %s terminating=%v", v.Pod.Namespace, v.Pod.Name, v.Pod.UID, v.Pod.Status.Phase, v.Terminating))
	}
	want := []string{
		"a-team/db u2 Pending terminating=false",
		"default/cache  Pending terminating=false",
		"default/web u1 Pending terminating=false",
		"default/web u0 Pending terminating=true",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pods\n %q\nwant\n %q", got, want)
	}
	view, ok := k.GetPod("default", "cache")
	if !ok || view.Pod.Status.Reason != ReasonManifestError || view.Pod.Status.Message != "spec.containers[0].image: required" || view.File != "/m/cache.yaml" {
		t.Errorf("the broken manifest's pod: %+v", view)
	}
	if view, _ := k.GetPod("default", "web"); view.Pod.UID != "u1" {
		t.Errorf("GetPod gave version %s, want the wanted one, u1", view.Pod.UID)
	}
}

// Every event recorded on a pod reaches Config.OnEvent with the pod and
// its source, the cluster's event recorder's input.
func TestRecordedEventsReachOnEvent(t *testing.T) {
	rt := newFakeRuntime()
	var mu sync.Mutex
	var got []PodEvent
	k := startKubeletWith(t, rt, func(c *Config) {
		c.OnEvent = func(e PodEvent) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, e)
		}
	})
	web := namedPod("web", v1.RestartPolicyAlways)
	k.SetSourcePods(SourceUpdate{Source: SourceAPI, Pods: []DesiredPod{web}})
	eventually(t, "web running", func() bool { return runs(k, "web") })
	eventually(t, "its Started event handed on", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range got {
			if e.Reason == EventStarted && e.Pod.Name == "web" && e.Source == SourceAPI && e.Container != "" {
				return true
			}
		}
		return false
	})
	view, _ := k.GetPod("default", "web")
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(view.Events) {
		t.Errorf("%d events handed on, %d recorded", len(got), len(view.Events))
	}
}
