package kubelet

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// CRI-O refuses CreateContainer without the image name the user wrote
// ("user specified image not specified, cannot verify image signature");
// containerd ignores the field. kubelet sends it, and so must we.
func TestCreateContainerNamesTheUserSpecifiedImage(t *testing.T) {
	rt := newFakeRuntime()
	k := startKubelet(t, rt)
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	k.SetDesired([]DesiredPod{{Pod: pod, File: "/m/web.yaml"}}, nil)
	eventually(t, "pod Running", func() bool {
		phase, _ := viewPhase(k, "web")
		return phase == v1.PodRunning
	})
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for id, c := range rt.containers {
		if got, want := c.GetImage().GetUserSpecifiedImage(), pod.Spec.Containers[0].Image; got != want {
			t.Errorf("container %s created with UserSpecifiedImage %q, want the pod's image %q", id, got, want)
		}
	}
}
