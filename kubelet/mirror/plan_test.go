package mirror

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

var (
	now  = time.Date(2026, 12, 5, 17, 0, 0, 0, time.UTC)
	node = Node{Name: "w1", UID: "node-uid", IP: "10.0.0.5"}
)

// staticPod is a running static pod as the agent has it.
func staticPod(name, hash string) *v1.Pod {
	return &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(hash),
			Labels:      map[string]string{"app": name},
			Annotations: map[string]string{AnnotationHash: hash, "kubernetes.io/config.source": "file"}},
		Spec: v1.PodSpec{NodeName: "w1", Containers: []v1.Container{{Name: "c", Image: "kubia"}}},
		Status: v1.PodStatus{Phase: v1.PodRunning, StartTime: &metav1.Time{Time: now.Add(-time.Hour)}, PodIP: "10.86.0.9", PodIPs: []v1.PodIP{{IP: "10.86.0.9"}},
			Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}},
	}
}

// mirrorOf is the mirror pod the API server holds for p, with p's status
// as an earlier round patched it.
func mirrorOf(p *v1.Pod, uid types.UID) v1.Pod {
	m := Pod(p, node)
	m.UID = uid
	m.Status = Status(p, nil, node, now.Add(-time.Hour))
	return *m
}

func kinds(actions []Action) []string {
	var out []string
	for _, a := range actions {
		out = append(out, string(a.Kind)+" "+a.Namespace+"/"+a.Name+" "+string(a.UID))
	}
	return out
}

func TestPlan(t *testing.T) {
	web, db := staticPod("web", "h1"), staticPod("db", "h2")
	webEdited := staticPod("web", "h3")
	stopped := staticPod("web", "h1")
	stopped.Status.Phase = v1.PodFailed
	deleted := mirrorOf(web, "m1")
	deleted.DeletionTimestamp = &metav1.Time{Time: now}
	unobserved := staticPod("web", "h1")
	unobserved.Status = v1.PodStatus{Phase: v1.PodPending}
	relabelled := staticPod("web", "h1")
	relabelled.Labels["tier"] = "front"
	annotatedByOthers := mirrorOf(web, "m1")
	annotatedByOthers.Annotations["example.com/seen"] = "yes"
	apiPod := v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "scheduled", Namespace: "default", UID: "a1"}, Spec: v1.PodSpec{NodeName: "w1"}}
	for _, tc := range []struct {
		name     string
		static   []*v1.Pod
		existing []v1.Pod
		want     []string
	}{
		{"a static pod without a mirror gets one", []*v1.Pod{web}, nil,
			[]string{"create default/web-w1 "}},
		{"an up-to-date mirror is left alone", []*v1.Pod{web}, []v1.Pod{mirrorOf(web, "m1")}, nil},
		{"a changed status is patched", []*v1.Pod{stopped}, []v1.Pod{mirrorOf(web, "m1")},
			[]string{"patch-status default/web-w1 m1"}},
		{"a pod the agent has not observed yet (after a restart) keeps its mirror's status", []*v1.Pod{unobserved}, []v1.Pod{mirrorOf(web, "m1")}, nil},
		{"a changed manifest replaces the mirror", []*v1.Pod{webEdited}, []v1.Pod{mirrorOf(web, "m1")},
			[]string{"delete default/web-w1 m1", "create default/web-w1 "}},
		{"new labels replace the mirror (a node may not update its metadata)", []*v1.Pod{relabelled}, []v1.Pod{mirrorOf(web, "m1")},
			[]string{"delete default/web-w1 m1", "create default/web-w1 "}},
		{"annotations others add to the mirror are left alone", []*v1.Pod{web}, []v1.Pod{annotatedByOthers}, nil},
		{"a mirror someone deleted is recreated", []*v1.Pod{web}, []v1.Pod{deleted},
			[]string{"delete default/web-w1 m1", "create default/web-w1 "}},
		{"a mirror without its static pod is deleted", nil, []v1.Pod{mirrorOf(web, "m1")},
			[]string{"delete default/web-w1 m1"}},
		{"pods scheduled to the node are not mirrors", nil, []v1.Pod{apiPod}, nil},
		{"deletes come first, then creates, then patches", []*v1.Pod{stopped, db}, []v1.Pod{mirrorOf(web, "m1"), mirrorOf(staticPod("old", "h9"), "m9")},
			[]string{"delete default/old-w1 m9", "create default/db-w1 ", "patch-status default/web-w1 m1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			actions, err := Plan(node, tc.static, tc.existing, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(actions); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("actions %q, want %q", got, tc.want)
			}
		})
	}
}

// The mirror pod is what NodeRestriction admits from a node: bound to it,
// marked as a mirror with the config hash, owned by the Node as its
// controller without blockOwnerDeletion; named <name>-<node>, so the same
// manifest on two nodes makes two mirror pods.
func TestMirrorPod(t *testing.T) {
	p := staticPod("web", "h1")
	p.Annotations[staticpods.AnnotationManifestFile] = "/etc/minikubelet/manifests/web.yaml"
	m := Pod(p, node)
	if path, ok := m.Annotations[staticpods.AnnotationManifestFile]; ok {
		t.Errorf("the mirror pod shows the manifest's path on the node (%s) to the cluster", path)
	}
	if !sameMetadata(m, p) {
		t.Error("a mirror without the manifest path counts as out of date: it would be replaced for ever")
	}
	if m.Name != "web-w1" || m.Namespace != "default" || m.Spec.NodeName != "w1" || m.UID != "" {
		t.Errorf("mirror %s/%s on %q uid %q", m.Namespace, m.Name, m.Spec.NodeName, m.UID)
	}
	if m.Annotations[AnnotationMirror] != "h1" || m.Annotations[AnnotationHash] != "h1" || m.Annotations["kubernetes.io/config.source"] != "file" {
		t.Errorf("annotations %v", m.Annotations)
	}
	if m.Labels["app"] != "web" {
		t.Errorf("labels %v", m.Labels)
	}
	owners := m.OwnerReferences
	if len(owners) != 1 || owners[0].Kind != "Node" || owners[0].APIVersion != "v1" || owners[0].Name != "w1" || owners[0].UID != "node-uid" ||
		owners[0].Controller == nil || !*owners[0].Controller || owners[0].BlockOwnerDeletion != nil {
		t.Errorf("owners %+v", owners)
	}
	if _, ok := p.Annotations[AnnotationMirror]; ok {
		t.Error("making the mirror changed the static pod's annotations")
	}
	if other := Pod(p, Node{Name: "w2"}); other.Name == m.Name {
		t.Errorf("two nodes name their mirror pods alike: %s", other.Name)
	}
}

func TestStatusKeepsStartAndTransitionTimesAndSetsHostIP(t *testing.T) {
	p := staticPod("web", "h1")
	p.Status.Conditions = append(p.Status.Conditions, v1.PodCondition{Type: v1.ContainersReady, Status: v1.ConditionFalse})
	earlier := metav1.NewTime(now.Add(-time.Hour))
	m := &v1.Pod{Status: v1.PodStatus{Conditions: []v1.PodCondition{
		{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: earlier},
		{Type: v1.ContainersReady, Status: v1.ConditionTrue, LastTransitionTime: earlier},
	}}}
	s := Status(p, m, node, now)
	if s.HostIP != "10.0.0.5" || len(s.HostIPs) != 1 || s.HostIPs[0].IP != "10.0.0.5" {
		t.Errorf("hostIP %q %v", s.HostIP, s.HostIPs)
	}
	if !s.StartTime.Equal(p.Status.StartTime) {
		t.Errorf("startTime %v: the mirror had none, want the static pod's %v", s.StartTime, p.Status.StartTime)
	}
	started := metav1.NewTime(now.Add(-2 * time.Hour))
	m.Status.StartTime = &started
	p.Status.StartTime = &metav1.Time{Time: now}
	if s := Status(p, m, node, now); !s.StartTime.Equal(&started) {
		t.Errorf("startTime %v, want the mirror's %v (set once)", s.StartTime, started)
	}
	if got := s.Conditions[0].LastTransitionTime; !got.Equal(&earlier) {
		t.Errorf("unchanged Ready moved to %v", got)
	}
	if got := s.Conditions[1].LastTransitionTime; !got.Time.Equal(now) {
		t.Errorf("ContainersReady turned False at %v, want now", got)
	}
	if p.Status.Conditions[0].LastTransitionTime.IsZero() == false {
		t.Error("Status changed the static pod")
	}
}

func TestStatusPatch(t *testing.T) {
	p := staticPod("web", "h1")
	m := mirrorOf(p, "m1")
	same := Status(p, &m, node, now)
	// The API server keeps times to the second; ours have nanoseconds.
	start := metav1.NewTime(now.Add(300 * time.Millisecond))
	m.Status.StartTime, same.StartTime = &metav1.Time{Time: now}, &start
	if patch, changed, err := StatusPatch(&m, same); err != nil || changed {
		t.Errorf("same status: patch %s, %v", patch, err)
	}

	failed := Status(p, &m, node, now)
	failed.Phase, failed.PodIP, failed.PodIPs, failed.Conditions = v1.PodFailed, "", nil, nil
	patch, changed, err := StatusPatch(&m, failed)
	if err != nil || !changed {
		t.Fatalf("changed status: %s, %v, %v", patch, changed, err)
	}
	var body struct {
		Metadata struct{ UID string }
		Status   map[string]any
	}
	if err := json.Unmarshal(patch, &body); err != nil {
		t.Fatal(err)
	}
	if body.Metadata.UID != "m1" || body.Status["phase"] != "Failed" {
		t.Errorf("patch %s: want uid m1 and phase Failed", patch)
	}
	// A condition that went away is deleted from the list by its type.
	if !strings.Contains(string(patch), `"$patch":"delete"`) && !strings.Contains(string(patch), `"conditions":null`) {
		t.Errorf("patch %s does not remove the Ready condition", patch)
	}
	if _, ok := body.Status["hostIP"]; ok {
		t.Errorf("patch %s sends the unchanged hostIP", patch)
	}
}

func TestStatusGivesAPodOnTheHostsNetworkTheNodesIP(t *testing.T) {
	p := staticPod("web", "h1")
	p.Status.PodIP, p.Status.PodIPs = "", nil // a host-network sandbox has no IP of its own
	m := &v1.Pod{Spec: v1.PodSpec{HostNetwork: true}}
	s := Status(p, m, node, now)
	if s.PodIP != "10.0.0.5" || len(s.PodIPs) != 1 || s.PodIPs[0].IP != "10.0.0.5" {
		t.Errorf("podIP %q %v, want the node's", s.PodIP, s.PodIPs)
	}
	m.Spec.HostNetwork = false
	if s := Status(p, m, node, now); s.PodIP != "" {
		t.Errorf("podIP %q of a pod-network pod with no IP yet, want none", s.PodIP)
	}
}

func TestStatusObservesThePodsGeneration(t *testing.T) {
	p := staticPod("web", "h1")
	p.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}, {Type: "example.com/gate", Status: v1.ConditionTrue}}
	m := &v1.Pod{ObjectMeta: metav1.ObjectMeta{Generation: 7}}
	s := Status(p, m, node, now)
	if s.ObservedGeneration != 7 {
		t.Errorf("observedGeneration %d, want the pod's generation 7", s.ObservedGeneration)
	}
	if s.Conditions[0].ObservedGeneration != 7 || s.Conditions[1].ObservedGeneration != 0 {
		t.Errorf("conditions %+v: want the kubelet's Ready stamped 7, another's condition left alone", s.Conditions)
	}
}

func TestStatusPatchKeepsConditionsOthersSet(t *testing.T) {
	p := staticPod("web", "h1")
	p.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionFalse}}
	m := &v1.Pod{Status: v1.PodStatus{Conditions: []v1.PodCondition{
		{Type: v1.PodReady, Status: v1.ConditionFalse, LastTransitionTime: metav1.NewTime(now)},
		{Type: "example.com/gate", Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(now)},
	}}}
	patch, _, err := StatusPatch(m, Status(p, m, node, now))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(patch), "example.com/gate") {
		t.Errorf("the patch touches a readiness gate's condition the node does not own: %s", patch)
	}
}

// A resize's conditions are the node's: once it is done, the node's
// status has none and the patch removes them.
func TestStatusDropsAFinishedResizesConditions(t *testing.T) {
	p := staticPod("web", "h1")
	p.Status.Conditions = []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}
	m := &v1.Pod{Status: v1.PodStatus{Conditions: []v1.PodCondition{
		{Type: v1.PodReady, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(now)},
		{Type: v1.PodResizeInProgress, Status: v1.ConditionTrue, LastTransitionTime: metav1.NewTime(now)},
	}}}
	for _, c := range Status(p, m, node, now).Conditions {
		if c.Type == v1.PodResizeInProgress {
			t.Errorf("status keeps %s after the node dropped it: clients wait for the resize for ever", c.Type)
		}
	}
}
