package translate

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestContainerSecurityContext(t *testing.T) {
	runtimeDefault := &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault}
	tests := []struct {
		name      string
		pod       *v1.PodSecurityContext
		container *v1.SecurityContext
		want      func(*runtimeapi.LinuxContainerSecurityContext)
	}{
		{name: "neither sets anything"},
		{
			name: "the pod's user and group apply to the container",
			pod:  &v1.PodSecurityContext{RunAsUser: ptr(int64(1000)), RunAsGroup: ptr(int64(2000))},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.RunAsUser, sc.RunAsGroup = &runtimeapi.Int64Value{Value: 1000}, &runtimeapi.Int64Value{Value: 2000}
			},
		},
		{
			name:      "the container's user and group win over the pod's",
			pod:       &v1.PodSecurityContext{RunAsUser: ptr(int64(1000)), RunAsGroup: ptr(int64(2000))},
			container: &v1.SecurityContext{RunAsUser: ptr(int64(0)), RunAsGroup: ptr(int64(3))},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.RunAsUser, sc.RunAsGroup = &runtimeapi.Int64Value{Value: 0}, &runtimeapi.Int64Value{Value: 3}
			},
		},
		{
			name:      "a container setting only its user keeps the pod's group",
			pod:       &v1.PodSecurityContext{RunAsGroup: ptr(int64(2000))},
			container: &v1.SecurityContext{RunAsUser: ptr(int64(7))},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.RunAsUser, sc.RunAsGroup = &runtimeapi.Int64Value{Value: 7}, &runtimeapi.Int64Value{Value: 2000}
			},
		},
		{
			name: "fsGroup joins the supplemental groups, after them",
			pod:  &v1.PodSecurityContext{SupplementalGroups: []int64{5, 6}, FSGroup: ptr(int64(3000))},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) { sc.SupplementalGroups = []int64{5, 6, 3000} },
		},
		{
			name: "fsGroup alone",
			pod:  &v1.PodSecurityContext{FSGroup: ptr(int64(3000))},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) { sc.SupplementalGroups = []int64{3000} },
		},
		{
			name: "capabilities added and dropped, in order",
			container: &v1.SecurityContext{Capabilities: &v1.Capabilities{
				Add: []v1.Capability{"NET_ADMIN", "SYS_TIME"}, Drop: []v1.Capability{"ALL"}}},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.Capabilities = &runtimeapi.Capability{AddCapabilities: []string{"NET_ADMIN", "SYS_TIME"}, DropCapabilities: []string{"ALL"}}
			},
		},
		{
			name:      "an empty capabilities block is sent, as the runtime's defaults then apply",
			container: &v1.SecurityContext{Capabilities: &v1.Capabilities{}},
			want:      func(sc *runtimeapi.LinuxContainerSecurityContext) { sc.Capabilities = &runtimeapi.Capability{} },
		},
		{
			name: "the pod's seccomp profile is every container's default",
			pod:  &v1.PodSecurityContext{SeccompProfile: runtimeDefault},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}
			},
		},
		{
			name:      "a container's seccomp profile overrides the pod's: Localhost with its file",
			pod:       &v1.PodSecurityContext{SeccompProfile: runtimeDefault},
			container: &v1.SecurityContext{SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr("profiles/audit.json")}},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "profiles/audit.json"}
			},
		},
		{
			name:      "a container's seccomp profile overrides the pod's: Unconfined",
			pod:       &v1.PodSecurityContext{SeccompProfile: runtimeDefault},
			container: &v1.SecurityContext{SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeUnconfined}},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}
			},
		},
		{
			name:      "a container without a profile keeps the pod's",
			pod:       &v1.PodSecurityContext{SeccompProfile: runtimeDefault},
			container: &v1.SecurityContext{RunAsUser: ptr(int64(1))},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.RunAsUser = &runtimeapi.Int64Value{Value: 1}
				sc.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}
			},
		},
		{
			name:      "privileged, read-only root filesystem, no privilege escalation",
			container: &v1.SecurityContext{Privileged: ptr(true), ReadOnlyRootFilesystem: ptr(true), AllowPrivilegeEscalation: ptr(false)},
			want: func(sc *runtimeapi.LinuxContainerSecurityContext) {
				sc.Privileged, sc.ReadonlyRootfs, sc.NoNewPrivs = true, true, true
			},
		},
		{
			name:      "privilege escalation allowed",
			container: &v1.SecurityContext{AllowPrivilegeEscalation: ptr(true), ReadOnlyRootFilesystem: ptr(false)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.SecurityContext = tt.pod
			pod.Spec.Containers[0].SecurityContext = tt.container
			want := &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: NamespaceOptions(pod)}
			if tt.want != nil {
				tt.want(want)
			}
			assertProto(t, "security context", ContainerSecurityContext(pod, &pod.Spec.Containers[0]), want)
		})
	}
}

func TestContainerSecurityContextCarriesThePodsNamespaces(t *testing.T) {
	pod := testPod()
	pod.Spec.HostNetwork, pod.Spec.HostPID = true, true
	got := ContainerSecurityContext(pod, &pod.Spec.Containers[0]).NamespaceOptions
	want := &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE, Pid: runtimeapi.NamespaceMode_NODE, Ipc: runtimeapi.NamespaceMode_POD}
	assertProto(t, "namespaces", got, want)
}

func TestRunAsNonRoot(t *testing.T) {
	tests := []struct {
		name         string
		pod          *v1.PodSecurityContext
		container    *v1.SecurityContext
		wantRequired bool
		wantUser     *int64
	}{
		{name: "nothing set"},
		{name: "the pod's rule and user", pod: &v1.PodSecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(5))}, wantRequired: true, wantUser: ptr(int64(5))},
		{name: "the container lifts the pod's rule", pod: &v1.PodSecurityContext{RunAsNonRoot: ptr(true)},
			container: &v1.SecurityContext{RunAsNonRoot: ptr(false)}},
		{name: "the container's rule and the pod's user", pod: &v1.PodSecurityContext{RunAsUser: ptr(int64(0))},
			container: &v1.SecurityContext{RunAsNonRoot: ptr(true)}, wantRequired: true, wantUser: ptr(int64(0))},
		{name: "the container's user wins", pod: &v1.PodSecurityContext{RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(0))},
			container: &v1.SecurityContext{RunAsUser: ptr(int64(1000))}, wantRequired: true, wantUser: ptr(int64(1000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := testPod()
			pod.Spec.SecurityContext = tt.pod
			pod.Spec.Containers[0].SecurityContext = tt.container
			required, user := RunAsNonRoot(pod, &pod.Spec.Containers[0])
			if required != tt.wantRequired || (user == nil) != (tt.wantUser == nil) || (user != nil && *user != *tt.wantUser) {
				t.Errorf("got required=%v user=%v, want %v %v", required, deref(user), tt.wantRequired, deref(tt.wantUser))
			}
		})
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestVerifyNonRoot(t *testing.T) {
	tests := []struct {
		name    string
		user    *int64
		image   *runtimeapi.Image
		wantErr string
	}{
		{name: "the spec's non-zero user", user: ptr(int64(1000))},
		{name: "the spec's root user", user: ptr(int64(0)), wantErr: "runAsUser 0 (root): set runAsUser to a non-zero user"},
		{name: "the spec's user is trusted over the image's", user: ptr(int64(1000)), image: &runtimeapi.Image{Uid: &runtimeapi.Int64Value{Value: 0}}},
		{name: "the image's non-zero uid", image: &runtimeapi.Image{Uid: &runtimeapi.Int64Value{Value: 65532}}},
		{name: "the image's uid 0", image: &runtimeapi.Image{Uid: &runtimeapi.Int64Value{Value: 0}}, wantErr: "image will run as root"},
		{name: "an image without a user runs as root", image: &runtimeapi.Image{}, wantErr: "image will run as root"},
		{name: "an image user named root", image: &runtimeapi.Image{Username: "root"}, wantErr: "image will run as root"},
		{name: "an image user by name cannot be verified", image: &runtimeapi.Image{Username: "nginx"},
			wantErr: "image has non-numeric user (nginx), cannot verify user is non-root: set securityContext.runAsUser"},
		{name: "no image status at all", wantErr: "image will run as root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyNonRoot(tt.user, tt.image)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}
