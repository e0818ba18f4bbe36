package kubelet

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

const inPlaceManifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: a
    image: example.com/a:1
`

// manifestPod decodes a manifest as the file source does.
func manifestPod(t *testing.T, text string) DesiredPod {
	t.Helper()
	pods, ferr := staticpods.DecodeManifest("/m/web.yaml", []byte(text), "node-a")
	if ferr != nil {
		t.Fatal(ferr)
	}
	return DesiredPod{Pod: pods[0], File: "/m/web.yaml"}
}

func (f *fakeRuntime) callCount(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// TestMetadataEditOfAManifestUpdatesThePodInPlace: a manifest edit that
// changes only labels and annotations (kubectl label, annotate) keeps the
// pod, its sandbox and its containers; the pod shows the new metadata.
func TestMetadataEditOfAManifestUpdatesThePodInPlace(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	first := manifestPod(t, inPlaceManifest)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{first}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	sandboxes, creates := rt.callCount("RunPodSandbox"), rt.callCount("CreateContainer")

	edited := manifestPod(t, strings.Replace(inPlaceManifest, "    app: web\n", "    app: web\n    tier: front\n  annotations:\n    owner: team-a\n", 1))
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{edited}})
	eventually(t, "the new label and annotation shown", func() bool {
		_, p := viewPhase(k, "web")
		return p != nil && p.Labels["tier"] == "front" && p.Annotations["owner"] == "team-a"
	})
	time.Sleep(100 * time.Millisecond) // a few relists and syncs
	_, p := viewPhase(k, "web")
	if p.UID != first.Pod.UID || p.Status.Phase != v1.PodRunning {
		t.Errorf("after a label edit the pod is %s with UID %s, want Running with UID %s", p.Status.Phase, p.UID, first.Pod.UID)
	}
	if s, c := rt.callCount("RunPodSandbox"), rt.callCount("CreateContainer"); s != sandboxes || c != creates {
		t.Errorf("a label edit made %d sandboxes and %d containers more, want none", s-sandboxes, c-creates)
	}
	if s, c := rt.count(""); s != 1 || c != 1 {
		t.Errorf("runtime holds %d sandboxes and %d containers, want 1 and 1", s, c)
	}
}

// An event wakes API watchers, which list events, without changing the
// pod's version.
func TestEventsWakeAPIWatchers(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := manifestPod(t, inPlaceManifest)
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{pod}})
	eventually(t, "running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })
	_, before := viewPhase(k, "web")
	changed := k.Changed()
	k.addEvent(pod.Pod.UID, Event{Type: v1.EventTypeNormal, Reason: "Tested", Message: "an event"})
	select {
	case <-changed:
	case <-time.After(time.Second):
		t.Fatal("an event did not wake API watchers")
	}
	if _, after := viewPhase(k, "web"); after.ResourceVersion != before.ResourceVersion {
		t.Errorf("an event changed the pod's resourceVersion from %s to %s", before.ResourceVersion, after.ResourceVersion)
	}
}
