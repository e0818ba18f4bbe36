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

func TestMountsAt(t *testing.T) {
	c := &v1.Container{VolumeMounts: []v1.VolumeMount{{MountPath: "/data"}, {MountPath: "/etc/hosts"}}}
	if !MountsAt(c, "/etc/hosts") || MountsAt(c, "/etc") || MountsAt(&v1.Container{}, "/etc/hosts") {
		t.Error("MountsAt must report exactly the container's mount paths")
	}
}
