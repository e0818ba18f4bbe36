package kubelet

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// imageVolumePod is testPod with an image volume "data" of reference,
// mounted by its container "a" at /data and, at a sub-path, at /etc/extra.
func imageVolumePod(reference string, policy v1.PullPolicy) *v1.Pod {
	pod := testPod(v1.RestartPolicyAlways, nil, "a")
	pod.Spec.Volumes = []v1.Volume{{Name: "data", VolumeSource: v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: reference, PullPolicy: policy}}}}
	pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "data", MountPath: "/etc/extra", SubPath: "etc/./extra"}}
	return pod
}

func withRuntime(name, version string) func(*Config) {
	return func(c *Config) { c.RuntimeName, c.RuntimeVersion = name, version }
}

// The image volume's image is pulled by its own policy (Always: even when
// present), and each mount of it is a read-only CRI mount of that image,
// its sub-path in image_sub_path, with no host path.
func TestImageVolumeIsPulledAndMountedByTheRuntime(t *testing.T) {
	rt := newFakeRuntime()
	rt.images["registry.example/data:1.0"] = true
	k := startKubeletWith(t, rt, withRuntime("containerd", "v2.4.2"))
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: imageVolumePod("registry.example/data:1.0", v1.PullAlways)}}})
	eventually(t, "pod Running", func() bool { phase, _ := viewPhase(k, "web"); return phase == v1.PodRunning })

	if got := rt.calls["PullImage"]; got != 2 {
		t.Errorf("PullImage called %d times, want 2 (the container's image, and the volume's though present: Always)", got)
	}
	mounts, _ := rt.mountsOf("a")
	var images []*runtimeapi.Mount
	for _, m := range mounts {
		if m.Image != nil {
			images = append(images, m)
		}
	}
	image := &runtimeapi.ImageSpec{Image: "registry.example/data:1.0", UserSpecifiedImage: "registry.example/data:1.0"}
	want := []*runtimeapi.Mount{
		{ContainerPath: "/data", Image: image, Readonly: true},
		{ContainerPath: "/etc/extra", Image: image, ImageSubPath: "etc/extra", Readonly: true},
	}
	if len(images) != len(want) {
		t.Fatalf("image mounts %v, want %v", images, want)
	}
	for i := range want {
		if !proto.Equal(images[i], want[i]) {
			t.Errorf("mount %d = %v, want %v", i, images[i], want[i])
		}
	}
	_, pod := viewPhase(k, "web")
	pulled := false
	for _, e := range viewEvents(k, "web") {
		if e.Reason == EventPulled && strings.Contains(e.Message, "registry.example/data:1.0") {
			pulled = e.Container == "" // the kubelet's: on the pod
		}
	}
	if !pulled {
		t.Errorf("no Pulled event on the pod for the volume's image; status %v", pod.Status)
	}
}

// A failed pull of the volume's image keeps the container from starting,
// as ErrImagePull naming the volume, and is retried under the pull
// back-off like a container image's.
func TestImageVolumePullFailureShowsOnTheContainer(t *testing.T) {
	rt := newFakeRuntime()
	rt.images["img"] = true
	rt.pullErr = errors.New("manifest unknown")
	k := startKubeletWith(t, rt, withRuntime("cri-o", "1.34.1"))
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: imageVolumePod("registry.example/missing:1", v1.PullIfNotPresent)}}})
	eventually(t, "container waiting on the volume's image", func() bool {
		_, pod := viewPhase(k, "web")
		if pod == nil || len(pod.Status.ContainerStatuses) == 0 {
			return false
		}
		w := pod.Status.ContainerStatuses[0].State.Waiting
		return w != nil && (w.Reason == ReasonErrImagePull || w.Reason == ReasonImagePullBackOff) &&
			strings.Contains(w.Message, `image "registry.example/missing:1" of volume "data"`)
	})
	if _, created := rt.mountsOf("a"); created {
		t.Error("the container was created though its volume's image is missing")
	}
}

// On a runtime that does not know the CRI mount's image field the
// container is not started: it would run without the volume's files. It
// waits with a reason that names the volume, the runtime and the fix, and
// nothing is pulled for a volume that could not be mounted.
func TestImageVolumeOnAnOldRuntimeFailsTheContainer(t *testing.T) {
	rt := newFakeRuntime()
	rt.images["img"] = true
	k := startKubeletWith(t, rt, withRuntime("containerd", "v1.6.38"))
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: imageVolumePod("registry.example/data:1.0", v1.PullIfNotPresent)}}})
	want := `image volume "data": this node's runtime, containerd v1.6.38, cannot mount image volumes (containerd mounts them from 2.1): ` +
		"upgrade the runtime, or put the files in the container's image or another volume"
	eventually(t, "container refused", func() bool {
		_, pod := viewPhase(k, "web")
		if pod == nil || len(pod.Status.ContainerStatuses) == 0 {
			return false
		}
		w := pod.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonCreateConfig && w.Message == want
	})
	if _, created := rt.mountsOf("a"); created {
		t.Error("the container was created without its image volume")
	}
	if got := rt.calls["PullImage"]; got != 0 {
		t.Errorf("PullImage called %d times, want none", got)
	}
}

// A sub-path that leaves the image is refused before the runtime is asked.
func TestImageVolumeSubPathStaysInTheImage(t *testing.T) {
	rt := newFakeRuntime()
	rt.images["img"] = true
	rt.images["registry.example/data:1.0"] = true
	k := startKubeletWith(t, rt, withRuntime("containerd", "v2.1.0"))
	pod := imageVolumePod("registry.example/data:1.0", v1.PullIfNotPresent)
	pod.Spec.Containers[0].VolumeMounts[1].SubPath = "../etc"
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: pod}}})
	eventually(t, "container refused", func() bool {
		_, pod := viewPhase(k, "web")
		if pod == nil || len(pod.Status.ContainerStatuses) == 0 {
			return false
		}
		w := pod.Status.ContainerStatuses[0].State.Waiting
		return w != nil && w.Reason == ReasonCreateConfig && strings.Contains(w.Message, "volumeMounts[1].subPath")
	})
	if _, created := rt.mountsOf("a"); created {
		t.Error("the container was created with a sub-path outside its image")
	}
}

func viewEvents(k *Kubelet, name string) []Event {
	view, _ := k.GetPod("default", name)
	return view.Events
}
