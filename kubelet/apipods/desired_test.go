package apipods

import (
	"reflect"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet/mirror"
)

func apiPod(name string, change func(*v1.Pod)) *v1.Pod {
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), ResourceVersion: "5"},
		Spec:       v1.PodSpec{NodeName: "n1", Containers: []v1.Container{{Name: "c", Image: "kubia"}}},
		Status:     v1.PodStatus{Phase: v1.PodPending},
	}
	if change != nil {
		change(p)
	}
	return p
}

func TestDesired(t *testing.T) {
	now := metav1.NewTime(time.Unix(1000, 0))
	grace := int64(7)
	pods := []*v1.Pod{
		apiPod("web", nil),
		apiPod("mirror", func(p *v1.Pod) { p.Annotations = map[string]string{mirror.AnnotationMirror: "h"} }),
		apiPod("deleting", func(p *v1.Pod) { p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace }),
		apiPod("done", func(p *v1.Pod) { p.Status.Phase, p.Status.StartTime = v1.PodSucceeded, &now }),
		apiPod("failed", func(p *v1.Pod) { p.Status.Phase, p.Status.StartTime = v1.PodFailed, &now }),
		apiPod("refused-before", func(p *v1.Pod) { p.Status.Phase, p.Status.Reason = v1.PodFailed, ReasonUnsupported }),
		apiPod("refused", func(p *v1.Pod) {
			p.Spec.Volumes = []v1.Volume{{Name: "s", VolumeSource: v1.VolumeSource{PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: "x"}}}}
		}),
	}
	got := desired(pods, nil, nil, nil)
	names := map[string]v1.PodPhase{}
	var web *v1.Pod
	for _, p := range got.Pods {
		names[p.Pod.Name] = p.Finished
		if p.Pod.Name == "web" {
			web = p.Pod
		}
	}
	// Finished pods stay, marked: the sync loop keeps their stopped
	// containers and logs, and never runs them again. A pod refused
	// earlier never started: nothing of it is kept.
	if want := map[string]v1.PodPhase{"web": "", "done": v1.PodSucceeded, "failed": v1.PodFailed}; !reflect.DeepEqual(names, want) {
		t.Fatalf("pods handed over, with their finished phase: %v, want %v", names, want)
	}
	if run := web; run.ResourceVersion != "" || run.Status.Phase != "" || run.Spec.NodeName != "n1" {
		t.Errorf("web handed over as %+v: want its spec without status or resourceVersion", run)
	}
	if v := got.Refused["refused-uid"]; len(got.Refused) != 1 || v.Reason != ReasonUnsupported {
		t.Errorf("refused %+v: want refused-uid, %s", got.Refused, ReasonUnsupported)
	}
	if len(got.Grace) != 1 || got.Grace["deleting-uid"] != 7 {
		t.Errorf("grace %v: want deleting-uid: 7", got.Grace)
	}

	// Only its status changed (the agent's own patch): the same object,
	// so the sync loop sees no new spec.
	prev := map[types.UID]*v1.Pod{"web-uid": web}
	patched := apiPod("web", func(p *v1.Pod) { p.ResourceVersion, p.Status.Phase = "6", v1.PodRunning })
	if again := desired([]*v1.Pod{patched}, prev, nil, nil); again.Pods[0].Pod != web {
		t.Error("a status-only change handed the sync loop a new pod object")
	}
	relabeled := apiPod("web", func(p *v1.Pod) { p.Labels = map[string]string{"v": "2"} })
	if again := desired([]*v1.Pod{relabeled}, prev, nil, nil); again.Pods[0].Pod == web || again.Pods[0].Pod.Labels["v"] != "2" {
		t.Error("a metadata change was not handed over")
	}
}
