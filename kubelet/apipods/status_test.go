package apipods

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

// fakeServer applies status patches to its pods, as the API server does.
type fakeServer struct {
	pods    map[string]*v1.Pod
	patches int
	deleted []types.UID
}

func (f *fakeServer) PatchStatus(_ context.Context, _, name string, patch []byte) (*v1.Pod, error) {
	f.patches++
	old, _ := json.Marshal(f.pods[name])
	merged, err := strategicpatch.StrategicMergePatch(old, patch, v1.Pod{})
	if err != nil {
		return nil, err
	}
	p := &v1.Pod{}
	if err := json.Unmarshal(merged, p); err != nil {
		return nil, err
	}
	f.pods[name] = p
	return p.DeepCopy(), nil
}

func (f *fakeServer) Delete(_ context.Context, _, _ string, uid types.UID) error {
	f.deleted = append(f.deleted, uid)
	return nil
}

type fakeNode struct {
	statuses map[types.UID]v1.PodStatus
	gone     map[types.UID]bool
}

func (n fakeNode) PodStatuses() map[types.UID]v1.PodStatus { return n.statuses }
func (n fakeNode) Gone(uid types.UID) bool                 { return n.gone[uid] }
func (n fakeNode) Changed() <-chan struct{}                { return nil }

// TestStatusPatchesOnceThenIdles: a changed status is sent once; rounds
// without a change make no call (an idle node writes no pod status); a
// deleted pod whose containers are gone is deleted with its UID.
func TestStatusPatchesOnceThenIdles(t *testing.T) {
	web := apiPod("web", nil)
	server := &fakeServer{pods: map[string]*v1.Pod{"web": web.DeepCopy()}}
	src := NewSource(SourceConfig{})
	src.pods[web.UID] = web
	node := fakeNode{statuses: map[types.UID]v1.PodStatus{web.UID: {Phase: v1.PodRunning, PodIP: "10.86.0.4",
		Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}}}, gone: map[types.UID]bool{}}
	s := NewStatus(StatusConfig{Node: mirror.Node{Name: "n1", IP: "10.0.0.5"}, Local: node, API: src, Writer: server})
	ctx := context.Background()
	for round := range 3 {
		if !s.Sync(ctx) {
			t.Fatalf("round %d failed", round)
		}
	}
	if server.patches != 1 {
		t.Errorf("%d status patches over 3 rounds with one change, want 1", server.patches)
	}
	if got := server.pods["web"].Status; got.Phase != v1.PodRunning || got.PodIP != "10.86.0.4" || got.HostIP != "10.0.0.5" {
		t.Errorf("API status %+v: want Running, the pod IP and the node IP", got)
	}

	deleting := server.pods["web"].DeepCopy()
	now := metav1.NewTime(time.Now())
	deleting.DeletionTimestamp = &now
	src.pods[web.UID] = deleting
	delete(node.statuses, web.UID)
	s.Sync(ctx)
	if len(server.deleted) != 0 {
		t.Fatal("deleted while something of the pod is still on the node")
	}
	node.gone[web.UID] = true
	s.Sync(ctx)
	if len(server.deleted) != 1 || server.deleted[0] != web.UID {
		t.Errorf("deleted %v, want %s once gone", server.deleted, web.UID)
	}
}
