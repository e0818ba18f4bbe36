package translate

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestMount(t *testing.T) {
	tests := []struct {
		name  string
		mount v1.VolumeMount
		want  *runtimeapi.Mount
	}{
		{name: "read-write, private", mount: v1.VolumeMount{Name: "data", MountPath: "/data"},
			want: &runtimeapi.Mount{ContainerPath: "/data", HostPath: "/host/data"}},
		{name: "read-only", mount: v1.VolumeMount{Name: "data", MountPath: "/data", ReadOnly: true},
			want: &runtimeapi.Mount{ContainerPath: "/data", HostPath: "/host/data", Readonly: true}},
		{name: "propagation None is private", mount: v1.VolumeMount{MountPath: "/m", MountPropagation: ptr(v1.MountPropagationNone)},
			want: &runtimeapi.Mount{ContainerPath: "/m", HostPath: "/host/data"}},
		{name: "propagation HostToContainer", mount: v1.VolumeMount{MountPath: "/m", MountPropagation: ptr(v1.MountPropagationHostToContainer)},
			want: &runtimeapi.Mount{ContainerPath: "/m", HostPath: "/host/data", Propagation: runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER}},
		{name: "propagation Bidirectional", mount: v1.VolumeMount{MountPath: "/m", MountPropagation: ptr(v1.MountPropagationBidirectional)},
			want: &runtimeapi.Mount{ContainerPath: "/m", HostPath: "/host/data", Propagation: runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL}},
		{name: "the sub-path is the host step's: the host path is used as given", mount: v1.VolumeMount{MountPath: "/m", SubPath: "conf"},
			want: &runtimeapi.Mount{ContainerPath: "/m", HostPath: "/host/data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProto(t, "mount", Mount(&tt.mount, "/host/data"), tt.want)
		})
	}
}

// An image volume's mount names the image and never a host path, and is
// read-only whatever the volume mount says.
func TestImageMount(t *testing.T) {
	image := VolumeImage(&v1.ImageVolumeSource{Reference: "registry.example/data:1.0"}, "sha256:abc")
	assertProto(t, "image spec", image, &runtimeapi.ImageSpec{Image: "sha256:abc", UserSpecifiedImage: "registry.example/data:1.0"})
	m := &v1.VolumeMount{Name: "data", MountPath: "/data", ReadOnly: false, MountPropagation: ptr(v1.MountPropagationHostToContainer)}
	assertProto(t, "mount", ImageMount(m, image, "etc/conf"), &runtimeapi.Mount{ContainerPath: "/data", Image: image, ImageSubPath: "etc/conf",
		Readonly: true, Propagation: runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER})
}

func TestMountsAt(t *testing.T) {
	c := &v1.Container{VolumeMounts: []v1.VolumeMount{{MountPath: "/data"}, {MountPath: "/etc/hosts"}}}
	if !MountsAt(c, "/etc/hosts") || MountsAt(c, "/etc") || MountsAt(&v1.Container{}, "/etc/hosts") {
		t.Error("MountsAt must report exactly the container's mount paths")
	}
}
