package apipods

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

func TestPlan(t *testing.T) {
	node := mirror.Node{Name: "n1", IP: "10.0.0.5"}
	now := time.Unix(2000, 0)
	deleted := metav1.NewTime(now)
	running := v1.PodStatus{Phase: v1.PodRunning, PodIP: "10.86.0.9", PodIPs: []v1.PodIP{{IP: "10.86.0.9"}},
		StartTime:  &metav1.Time{Time: time.Unix(1500, 0)},
		Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionTrue}}}
	// inSync is running as the API server holds it after the patch.
	inSync := mirror.Status(&v1.Pod{Status: running}, nil, node, now)
	refused := func(p *v1.Pod) {
		p.Spec.Volumes = []v1.Volume{{Name: "c", VolumeSource: v1.VolumeSource{PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: "x"}}}}
	}
	tests := []struct {
		name  string
		pod   *v1.Pod
		local Local
		want  Kind   // "" = no call
		patch string // in the patch
	}{
		{"new status", apiPod("web", nil), Local{Tracked: true, Status: running}, PatchStatus, `"podIP":"10.86.0.9"`},
		{"hostIP", apiPod("web", nil), Local{Tracked: true, Status: running}, PatchStatus, `"hostIP":"10.0.0.5"`},
		{"in sync", apiPod("web", func(p *v1.Pod) { p.Status = inSync }), Local{Tracked: true, Status: running}, "", ""},
		{"not picked up yet", apiPod("web", nil), Local{}, "", ""},
		{"mirror pod", apiPod("m", func(p *v1.Pod) { p.Annotations = map[string]string{mirror.AnnotationMirror: "h"} }), Local{Tracked: true, Status: running}, "", ""},
		{"refused", apiPod("r", refused), Local{}, PatchStatus, `"reason":"UnsupportedPodSpec"`},
		{"refused, shown", apiPod("r", func(p *v1.Pod) {
			refused(p)
			p.Status = mirror.Status(&v1.Pod{Status: Verdict{ReasonUnsupported, Refusal(p)}.status()}, nil, node, now)
		}), Local{}, "", ""},
		{"refused on affinity", apiPod("a", nil), Local{}, PatchStatus, `"reason":"NodeAffinity"`},
		{"rejected, tracked again after a restart: its status stands", apiPod("full", func(p *v1.Pod) {
			p.Status = v1.PodStatus{Phase: v1.PodFailed, Reason: "OutOfpods", Message: "Node didn't have enough resource: pods"}
		}), Local{Tracked: true, Status: v1.PodStatus{Phase: v1.PodPending}}, "", ""},
		{"finished stays finished", apiPod("web", func(p *v1.Pod) { p.Status.Phase = v1.PodSucceeded }), Local{Tracked: true, Status: running}, "", ""},
		{"deleting, still on the node", apiPod("web", func(p *v1.Pod) { p.DeletionTimestamp, p.Status = &deleted, inSync }), Local{Tracked: true, Status: running}, "", ""},
		{"deleting, stopping: status still sent", apiPod("web", func(p *v1.Pod) { p.DeletionTimestamp = &deleted }), Local{Tracked: true, Status: running}, PatchStatus, `"podIP"`},
		{"deleting, not tracked but not gone", apiPod("web", func(p *v1.Pod) { p.DeletionTimestamp = &deleted }), Local{}, "", ""},
		{"deleting, gone, terminal", apiPod("web", func(p *v1.Pod) { p.DeletionTimestamp, p.Status.Phase = &deleted, v1.PodSucceeded }), Local{Gone: true}, Delete, ""},
		{"refused, deleting, gone", apiPod("r", func(p *v1.Pod) { refused(p); p.DeletionTimestamp, p.Status.Phase = &deleted, v1.PodFailed }), Local{Gone: true}, Delete, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verdicts := map[types.UID]Verdict{
				"r-uid": {ReasonUnsupported, Refusal(apiPod("r", refused))},
				"a-uid": {ReasonNodeAffinity, nodeAffinityMessage},
			}
			actions, err := Plan(node, []*v1.Pod{tt.pod}, map[types.UID]Local{tt.pod.UID: tt.local}, verdicts, now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(actions) != 0 {
					t.Errorf("actions %+v: want none", actions)
				}
				return
			}
			if len(actions) != 1 || actions[0].Kind != tt.want || actions[0].UID != tt.pod.UID {
				t.Fatalf("actions %+v: want one %s of %s", actions, tt.want, tt.pod.UID)
			}
			if refused := strings.Contains(tt.patch, `"reason"`); refused != (actions[0].Refusal != nil) {
				t.Errorf("action's refusal %+v; want one: %v", actions[0].Refusal, refused)
			}
			if !strings.Contains(string(actions[0].Patch), tt.patch) {
				t.Errorf("patch %s: want %s", actions[0].Patch, tt.patch)
			}
			if tt.want == PatchStatus && !strings.Contains(string(actions[0].Patch), `"uid":"`+string(tt.pod.UID)+`"`) {
				t.Errorf("patch %s has no UID precondition", actions[0].Patch)
			}
		})
	}
}

// TestPlanFinalStatusBeforeDelete: a deleted pod gone from the node gets
// its terminal status before its final delete, as the kubelet deletes a
// pod only once the API server shows it finished: the node's final status
// when it has one, else the API server's completed as terminated.
func TestPlanFinalStatusBeforeDelete(t *testing.T) {
	node := mirror.Node{Name: "n1", IP: "10.0.0.5"}
	now := time.Unix(2000, 0)
	deleted := metav1.NewTime(now)
	finished := metav1.Unix(1990, 0)
	final := v1.PodStatus{Phase: v1.PodSucceeded, ContainerStatuses: []v1.ContainerStatus{{Name: "c",
		State: v1.ContainerState{Terminated: &v1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", FinishedAt: finished}}}},
		Conditions: []v1.PodCondition{{Type: v1.PodReady, Status: v1.ConditionFalse, Reason: "PodCompleted"}}}
	running := func(p *v1.Pod) {
		p.DeletionTimestamp = &deleted
		p.Status = v1.PodStatus{Phase: v1.PodRunning, ContainerStatuses: []v1.ContainerStatus{{Name: "c", Ready: true,
			State: v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: metav1.Unix(1500, 0)}}}}}
	}
	tests := []struct {
		name  string
		local Local
		in    []string // in the patch
	}{
		{"the node's final status", Local{Gone: true, Final: &final}, []string{`"phase":"Succeeded"`, `"exitCode":0`, `"reason":"Completed"`, `"reason":"PodCompleted"`}},
		{"none: the API server's, completed", Local{Gone: true}, []string{`"phase":"Failed"`, `"exitCode":137`, `"reason":"ContainerStatusUnknown"`, `"reason":"PodFailed"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := apiPod("web", running)
			actions, err := Plan(node, []*v1.Pod{pod}, map[types.UID]Local{pod.UID: tt.local}, nil, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(actions) != 2 || actions[0].Kind != PatchStatus || actions[1].Kind != Delete {
				t.Fatalf("actions %+v: want a status patch, then the delete", actions)
			}
			for _, want := range tt.in {
				if !strings.Contains(string(actions[0].Patch), want) {
					t.Errorf("patch %s: want %s", actions[0].Patch, want)
				}
			}
		})
	}
}
