package apipods

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestAdmitNodeAffinity(t *testing.T) {
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{
		v1.LabelHostname: "n1", v1.LabelOSStable: "linux", v1.LabelArchStable: "amd64", "disk": "ssd",
	}}}
	selector := func(kv ...string) func(*v1.Pod) {
		return func(p *v1.Pod) {
			p.Spec.NodeSelector = map[string]string{}
			for i := 0; i < len(kv); i += 2 {
				p.Spec.NodeSelector[kv[i]] = kv[i+1]
			}
		}
	}
	required := func(terms ...v1.NodeSelectorTerm) func(*v1.Pod) {
		return func(p *v1.Pod) {
			p.Spec.Affinity = &v1.Affinity{NodeAffinity: &v1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &v1.NodeSelector{NodeSelectorTerms: terms},
			}}
		}
	}
	expr := func(key string, op v1.NodeSelectorOperator, values ...string) v1.NodeSelectorTerm {
		return v1.NodeSelectorTerm{MatchExpressions: []v1.NodeSelectorRequirement{{Key: key, Operator: op, Values: values}}}
	}
	both := func(a, b func(*v1.Pod)) func(*v1.Pod) { return func(p *v1.Pod) { a(p); b(p) } }
	started := func(p *v1.Pod) { p.Status.StartTime = &metav1.Time{} }
	tests := []struct {
		name      string
		change    func(*v1.Pod)
		node      *v1.Node
		admitted  bool
		want      string // the refusal's reason; "" admitted
		undecided bool
	}{
		{"no selector", nil, node, false, "", false},
		{"no selector, node unknown", nil, nil, false, "", false},
		{"hostname matches", selector(v1.LabelHostname, "n1"), node, false, "", false},
		{"several labels match", selector(v1.LabelOSStable, "linux", "disk", "ssd"), node, false, "", false},
		{"hostname of another node", selector(v1.LabelHostname, "n2"), node, false, ReasonNodeAffinity, false},
		{"one label of two differs", selector(v1.LabelOSStable, "linux", "disk", "hdd"), node, false, ReasonNodeAffinity, false},
		{"label the node lacks", selector("gpu", "yes"), node, false, ReasonNodeAffinity, false},
		{"affinity In", required(expr("disk", v1.NodeSelectorOpIn, "nvme", "ssd")), node, false, "", false},
		{"affinity NotIn", required(expr("disk", v1.NodeSelectorOpNotIn, "ssd")), node, false, ReasonNodeAffinity, false},
		{"affinity Exists", required(expr("disk", v1.NodeSelectorOpExists)), node, false, "", false},
		{"affinity DoesNotExist", required(expr("disk", v1.NodeSelectorOpDoesNotExist)), node, false, ReasonNodeAffinity, false},
		{"affinity terms are ORed", required(expr("gpu", v1.NodeSelectorOpExists), expr("disk", v1.NodeSelectorOpIn, "ssd")), node, false, "", false},
		{"affinity matchFields metadata.name", required(v1.NodeSelectorTerm{MatchFields: []v1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: v1.NodeSelectorOpIn, Values: []string{"n2"}}}}), node, false, ReasonNodeAffinity, false},
		{"affinity without terms matches nothing", required(), node, false, ReasonNodeAffinity, false},
		{"selector and affinity both must match", both(selector("disk", "ssd"), required(expr("gpu", v1.NodeSelectorOpExists))), node, false, ReasonNodeAffinity, false},
		{"selector, node unknown: waits", selector("disk", "ssd"), nil, false, "", true},
		{"admitted before: not judged again", selector("disk", "hdd"), node, true, "", false},
		{"started on the node before (restart)", both(selector("disk", "hdd"), started), nil, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := apiPod("p", tt.change)
			refused, decided := admit(p, tt.node, tt.admitted)
			if decided == tt.undecided {
				t.Fatalf("decided = %v, want %v", decided, !tt.undecided)
			}
			switch {
			case tt.want == "" && refused != nil:
				t.Errorf("refused %+v, want admitted", refused)
			case tt.want != "" && (refused == nil || refused.Reason != tt.want):
				t.Errorf("refused %+v, want reason %s", refused, tt.want)
			case refused != nil && refused.Message != "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector":
				t.Errorf("message %q: want the kubelet's", refused.Message)
			}
		})
	}
}

func TestDesiredHoldsThenRefusesOnAffinity(t *testing.T) {
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{v1.LabelHostname: "n1"}}}
	other := apiPod("other", func(p *v1.Pod) { p.Spec.NodeSelector = map[string]string{v1.LabelHostname: "n2"} })
	mine := apiPod("mine", func(p *v1.Pod) { p.Spec.NodeSelector = map[string]string{v1.LabelHostname: "n1"} })
	plain := apiPod("plain", nil)
	pods := []*v1.Pod{other, mine, plain}

	held := desired(pods, nil, nil, nil)
	if len(held.Pods) != 1 || held.Pods[0].Pod.Name != "plain" || len(held.Refused) != 0 || !held.NeedNode {
		t.Fatalf("node unknown: run %d pods, refused %v, needNode %v: want plain only, none refused, the Node needed", len(held.Pods), held.Refused, held.NeedNode)
	}
	got := desired(pods, nil, node, nil)
	if len(got.Pods) != 2 || got.Refused["other-uid"].Reason != ReasonNodeAffinity || len(got.Refused) != 1 || !got.NeedNode {
		t.Errorf("node known: run %d pods, refused %v: want mine and plain run, other refused on NodeAffinity", len(got.Pods), got.Refused)
	}
	// The node is relabelled: mine, running, stays (IgnoredDuringExecution).
	prev := map[types.UID]*v1.Pod{}
	for _, p := range got.Pods {
		prev[p.Pod.UID] = p.Pod
	}
	relabelled := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{v1.LabelHostname: "renamed"}}}
	if again := desired([]*v1.Pod{mine}, prev, relabelled, nil); len(again.Pods) != 1 || len(again.Refused) != 0 {
		t.Errorf("a running pod after its label went: run %d, refused %v: want it still run", len(again.Pods), again.Refused)
	}
}

// A pod made for another OS is refused with the kubelet's reason, by its
// spec.os or its kubernetes.io/os node selector (the suite's
// PodOSRejection test); one for this node's OS is not.
func TestAdmitRefusesAPodOfAnotherOS(t *testing.T) {
	windows := &v1.Pod{Spec: v1.PodSpec{OS: &v1.PodOS{Name: v1.Windows}}}
	if v, decided := admit(windows, nil, false); !decided || v == nil || v.Reason != ReasonPodOSNotSupported {
		t.Errorf("spec.os windows: %+v, want %s", v, ReasonPodOSNotSupported)
	}
	selector := &v1.Pod{Spec: v1.PodSpec{NodeSelector: map[string]string{v1.LabelOSStable: "windows"}}}
	if v, _ := admit(selector, nil, false); v == nil || v.Reason != ReasonPodOSSelectorNodeLabelDoesNotMatch {
		t.Errorf("nodeSelector kubernetes.io/os windows: %+v, want %s", v, ReasonPodOSSelectorNodeLabelDoesNotMatch)
	}
	linux := &v1.Pod{Spec: v1.PodSpec{OS: &v1.PodOS{Name: v1.Linux}}}
	if v, _ := admit(linux, &v1.Node{}, false); v != nil {
		t.Errorf("a linux pod refused: %+v", v)
	}
}
