package agent

import (
	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet"
)

// staticPods serves the sync loop's static pods to the mirror pods.
type staticPods struct{ kl *kubelet.Kubelet }

func (s staticPods) StaticPods() ([]*v1.Pod, bool) {
	if !s.kl.DesiredSeen() {
		return nil, false
	}
	return mirroredPods(s.kl.Pods()), true
}

func (s staticPods) Changed() <-chan struct{} { return s.kl.Changed() }

// mirroredPods are the pods that get a mirror pod: the manifest
// directory's, except a pod whose manifest is gone (it is stopping) and a
// broken manifest's placeholder, which never ran.
func mirroredPods(views []kubelet.PodView) []*v1.Pod {
	var pods []*v1.Pod
	for _, v := range views {
		if v.Source == kubelet.SourceFile && !v.Terminating && v.Pod.UID != "" {
			pods = append(pods, v.Pod)
		}
	}
	return pods
}
