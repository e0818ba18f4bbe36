package staticpods

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestSetDefaultsFillsWhatTheAPIServerWould(t *testing.T) {
	pod := &v1.Pod{Spec: v1.PodSpec{
		Containers: []v1.Container{{
			Name: "c", Image: "nginx",
			Ports:          []v1.ContainerPort{{ContainerPort: 80}},
			LivenessProbe:  &v1.Probe{ProbeHandler: v1.ProbeHandler{HTTPGet: &v1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
			ReadinessProbe: &v1.Probe{ProbeHandler: v1.ProbeHandler{GRPC: &v1.GRPCAction{Port: 9000}}},
			Env:            []v1.EnvVar{{Name: "IP", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "status.podIP"}}}},
			Resources:      v1.ResourceRequirements{Limits: v1.ResourceList{v1.ResourceMemory: resource.MustParse("64Mi")}},
		}},
		InitContainers: []v1.Container{{Name: "i", Image: "busybox:1.36"}},
		Volumes: []v1.Volume{
			{Name: "none"},
			{Name: "host", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/data"}}},
			{Name: "cm", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{}}},
			{Name: "img", VolumeSource: v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: "registry.example/data"}}},
			{Name: "img-tagged", VolumeSource: v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: "registry.example/data:1.0"}}},
		},
	}}
	SetDefaults(pod)
	spec := pod.Spec
	checks := []struct {
		what      string
		got, want any
	}{
		{"namespace", pod.Namespace, "default"},
		{"restartPolicy", spec.RestartPolicy, v1.RestartPolicyAlways},
		{"terminationGracePeriodSeconds", *spec.TerminationGracePeriodSeconds, int64(30)},
		{"dnsPolicy", spec.DNSPolicy, v1.DNSClusterFirst},
		{"schedulerName", spec.SchedulerName, "default-scheduler"},
		{"enableServiceLinks", *spec.EnableServiceLinks, true},
		{"securityContext set", spec.SecurityContext != nil, true},
		{"imagePullPolicy untagged", spec.Containers[0].ImagePullPolicy, v1.PullAlways},
		{"imagePullPolicy tagged init", spec.InitContainers[0].ImagePullPolicy, v1.PullIfNotPresent},
		{"init terminationMessagePath", spec.InitContainers[0].TerminationMessagePath, "/dev/termination-log"},
		{"terminationMessagePath", spec.Containers[0].TerminationMessagePath, "/dev/termination-log"},
		{"terminationMessagePolicy", spec.Containers[0].TerminationMessagePolicy, v1.TerminationMessageReadFile},
		{"port protocol", spec.Containers[0].Ports[0].Protocol, v1.ProtocolTCP},
		{"no hostPort without hostNetwork", spec.Containers[0].Ports[0].HostPort, int32(0)},
		{"probe timeout", spec.Containers[0].LivenessProbe.TimeoutSeconds, int32(1)},
		{"probe period", spec.Containers[0].LivenessProbe.PeriodSeconds, int32(10)},
		{"probe success", spec.Containers[0].LivenessProbe.SuccessThreshold, int32(1)},
		{"probe failure", spec.Containers[0].LivenessProbe.FailureThreshold, int32(3)},
		{"httpGet path", spec.Containers[0].LivenessProbe.HTTPGet.Path, "/"},
		{"httpGet scheme", spec.Containers[0].LivenessProbe.HTTPGet.Scheme, v1.URISchemeHTTP},
		{"grpc service", *spec.Containers[0].ReadinessProbe.GRPC.Service, ""},
		{"fieldRef apiVersion", spec.Containers[0].Env[0].ValueFrom.FieldRef.APIVersion, "v1"},
		{"request from limit", spec.Containers[0].Resources.Requests.Memory().String(), "64Mi"},
		{"volume without source is emptyDir", spec.Volumes[0].EmptyDir != nil, true},
		{"emptyDir medium", spec.Volumes[0].EmptyDir.Medium, v1.StorageMediumDefault},
		{"hostPath type", *spec.Volumes[1].HostPath.Type, v1.HostPathUnset},
		{"configMap defaultMode", *spec.Volumes[2].ConfigMap.DefaultMode, int32(0o644)},
		{"image volume pullPolicy untagged", spec.Volumes[3].Image.PullPolicy, v1.PullAlways},
		{"image volume pullPolicy tagged", spec.Volumes[4].Image.PullPolicy, v1.PullIfNotPresent},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestSetDefaultsKeepsWhatIsWritten(t *testing.T) {
	grace := int64(5)
	pod := &v1.Pod{Spec: v1.PodSpec{
		RestartPolicy:                 v1.RestartPolicyNever,
		TerminationGracePeriodSeconds: &grace,
		Containers:                    []v1.Container{{Name: "c", Image: "nginx", ImagePullPolicy: v1.PullNever}},
	}}
	pod.Namespace = "kube-system"
	SetDefaults(pod)
	if pod.Namespace != "kube-system" || pod.Spec.RestartPolicy != v1.RestartPolicyNever ||
		*pod.Spec.TerminationGracePeriodSeconds != 5 || pod.Spec.Containers[0].ImagePullPolicy != v1.PullNever {
		t.Errorf("defaults overwrote written values: %+v", pod.Spec)
	}
}

func TestSetDefaultsHostNetworkPortsBecomeHostPorts(t *testing.T) {
	pod := &v1.Pod{Spec: v1.PodSpec{HostNetwork: true,
		Containers: []v1.Container{{Name: "c", Image: "x", Ports: []v1.ContainerPort{{ContainerPort: 8080}}}}}}
	SetDefaults(pod)
	if got := pod.Spec.Containers[0].Ports[0].HostPort; got != 8080 {
		t.Errorf("hostPort = %d, want 8080", got)
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	tests := map[string]v1.PullPolicy{
		"nginx":                          v1.PullAlways,
		"nginx:latest":                   v1.PullAlways,
		"nginx:1.27":                     v1.PullIfNotPresent,
		"registry:5000/team/app":         v1.PullAlways, // the port is not a tag
		"registry:5000/team/app:v2":      v1.PullIfNotPresent,
		"nginx@sha256:0123456789abcdef":  v1.PullIfNotPresent,
		"nginx:latest@sha256:0123456789": v1.PullIfNotPresent,
	}
	for image, want := range tests {
		if got := defaultPullPolicy(image); got != want {
			t.Errorf("defaultPullPolicy(%q) = %s, want %s", image, got, want)
		}
	}
}
