package agent

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/minikubelet/minikubelet/kubelet"
)

func TestMirroredPods(t *testing.T) {
	pod := func(name, uid string) *v1.Pod {
		return &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("u-" + uid)}}
	}
	views := []kubelet.PodView{
		{Pod: pod("web", "1"), Source: kubelet.SourceFile},
		{Pod: pod("web", "0"), Source: kubelet.SourceFile, Terminating: true}, // the old version, stopping
		{Pod: pod("stale", "2"), Source: kubelet.SourceFile, Stale: true},     // still runs its last good spec
		{Pod: &v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "broken"}}, Source: kubelet.SourceFile},
		{Pod: pod("scheduled", "3"), Source: kubelet.SourceAPI},
	}
	var names []string
	for _, p := range mirroredPods(views) {
		names = append(names, p.Name+"/"+string(p.UID))
	}
	if want := []string{"web/u-1", "stale/u-2"}; len(names) != 2 || names[0] != want[0] || names[1] != want[1] {
		t.Errorf("mirrored %v, want %v", names, want)
	}
}
