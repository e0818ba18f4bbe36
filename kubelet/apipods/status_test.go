package apipods

import (
	"context"
	"encoding/json"
	"errors"
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
	final    map[types.UID]v1.PodStatus
}

func (n fakeNode) PodStatuses() map[types.UID]v1.PodStatus { return n.statuses }
func (n fakeNode) Gone(uid types.UID) bool                 { return n.gone[uid] }
func (n fakeNode) Changed() <-chan struct{}                { return nil }
func (n fakeNode) FinalStatus(uid types.UID) (v1.PodStatus, bool) {
	s, ok := n.final[uid]
	return s, ok
}

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

// failingServer refuses status patches.
type failingServer struct{ fakeServer }

func (f *failingServer) PatchStatus(context.Context, string, string, []byte) (*v1.Pod, error) {
	f.patches++
	return nil, errors.New("connection refused")
}

// TestStatusSendsFinalStatusThenDeletes: a pod deleted with a finalizer
// (so the API server keeps it after the delete) shows its containers
// terminated, as the node saw them end, and is deleted once; without the
// final status in the API server there is no delete.
func TestStatusSendsFinalStatusThenDeletes(t *testing.T) {
	now := metav1.NewTime(time.Now())
	web := apiPod("web", func(p *v1.Pod) {
		p.DeletionTimestamp, p.Finalizers = &now, []string{"test/finalizer"}
		p.Status = v1.PodStatus{Phase: v1.PodRunning, ContainerStatuses: []v1.ContainerStatus{{Name: "c", Ready: true,
			State: v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: metav1.Unix(1500, 0)}}}}}
	})
	final := v1.PodStatus{Phase: v1.PodFailed, ContainerStatuses: []v1.ContainerStatus{{Name: "c",
		State: v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 143, Reason: "Error", StartedAt: metav1.Unix(1500, 0), FinishedAt: metav1.Unix(1550, 0)}}}}}
	node := fakeNode{gone: map[types.UID]bool{web.UID: true}, final: map[types.UID]v1.PodStatus{web.UID: final}}

	refusing := &failingServer{fakeServer{pods: map[string]*v1.Pod{"web": web.DeepCopy()}}}
	src := NewSource(SourceConfig{})
	src.pods[web.UID] = web.DeepCopy()
	s := NewStatus(StatusConfig{Node: mirror.Node{Name: "n1", IP: "10.0.0.5"}, Local: node, API: src, Writer: refusing})
	if s.Sync(context.Background()) {
		t.Error("a round whose status patch failed reported success")
	}
	if len(refusing.deleted) != 0 {
		t.Fatal("deleted although its final status never reached the API server")
	}

	server := &fakeServer{pods: map[string]*v1.Pod{"web": web.DeepCopy()}}
	src = NewSource(SourceConfig{})
	src.pods[web.UID] = web.DeepCopy()
	s = NewStatus(StatusConfig{Node: mirror.Node{Name: "n1", IP: "10.0.0.5"}, Local: node, API: src, Writer: server})
	for round := range 3 {
		if !s.Sync(context.Background()) {
			t.Fatalf("round %d failed", round)
		}
	}
	got := server.pods["web"].Status
	if got.Phase != v1.PodFailed || len(got.ContainerStatuses) != 1 {
		t.Fatalf("API status %+v: want Failed with the container's status", got)
	}
	term := got.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 143 || !term.FinishedAt.Equal(&final.ContainerStatuses[0].State.Terminated.FinishedAt) || got.ContainerStatuses[0].State.Running != nil {
		t.Errorf("container state %+v: want Terminated with exit code 143 and the node's finish time", got.ContainerStatuses[0].State)
	}
	if len(server.deleted) != 1 || server.deleted[0] != web.UID {
		t.Errorf("deletes %v over 3 rounds: want one of %s (its finalizer keeps it)", server.deleted, web.UID)
	}
	if server.patches != 1 {
		t.Errorf("%d status patches, want 1", server.patches)
	}
}
