package apipods

import (
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
)

func TestRefusal(t *testing.T) {
	withVolume := func(src v1.VolumeSource) func(*v1.Pod) {
		return func(p *v1.Pod) { p.Spec.Volumes = append(p.Spec.Volumes, v1.Volume{Name: "v", VolumeSource: src}) }
	}
	withEnv := func(from *v1.EnvVarSource) func(*v1.Pod) {
		return func(p *v1.Pod) { p.Spec.Containers[0].Env = []v1.EnvVar{{Name: "X", ValueFrom: from}} }
	}
	tests := []struct {
		name   string
		change func(*v1.Pod)
		want   string // in the refusal; "" = runs
	}{
		{"plain pod", func(*v1.Pod) {}, ""},
		{"emptyDir", withVolume(v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}), ""},
		{"hostPath", withVolume(v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: "/tmp"}}), ""},
		{"env fieldRef", withEnv(&v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.name"}}), ""},
		{"configMap, secret, downwardAPI and token volumes", func(p *v1.Pod) {
			p.Spec.Volumes = []v1.Volume{{Name: "c", VolumeSource: v1.VolumeSource{ConfigMap: &v1.ConfigMapVolumeSource{}}},
				{Name: "s", VolumeSource: v1.VolumeSource{Secret: &v1.SecretVolumeSource{}}},
				{Name: "d", VolumeSource: v1.VolumeSource{DownwardAPI: &v1.DownwardAPIVolumeSource{}}},
				{Name: "t", VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
					{ServiceAccountToken: &v1.ServiceAccountTokenProjection{Path: "token"}}}}}}}
		}, ""},
		{"claim volume", withVolume(v1.VolumeSource{PersistentVolumeClaim: &v1.PersistentVolumeClaimVolumeSource{ClaimName: "x"}}),
			`spec.volumes[0].persistentVolumeClaim: persistentVolumeClaim volumes are not supported (this node sets up emptyDir, hostPath, downwardAPI, configMap, secret, projected, image) (volume "v")`},
		{"image volume", withVolume(v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: "registry.example/data:1.0", PullPolicy: v1.PullAlways}}), ""},
		{"image volume past the reference bound", withVolume(v1.VolumeSource{Image: &v1.ImageVolumeSource{Reference: strings.Repeat("r", 2000)}}),
			"spec.volumes[0].image.reference: is 2000 characters long, more than the 1024 an image reference may have"},
		{"cluster trust bundle", withVolume(v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{Sources: []v1.VolumeProjection{
			{ClusterTrustBundle: &v1.ClusterTrustBundleProjection{Path: "ca"}}}}}),
			"spec.volumes[0].projected.sources[0].clusterTrustBundle: clusterTrustBundle projections are not supported"},
		{"env secretKeyRef", withEnv(&v1.EnvVarSource{SecretKeyRef: &v1.SecretKeySelector{Key: "k"}}), ""},
		{"env configMapKeyRef", withEnv(&v1.EnvVarSource{ConfigMapKeyRef: &v1.ConfigMapKeySelector{Key: "k"}}), ""},
		{"envFrom", func(p *v1.Pod) {
			p.Spec.InitContainers = []v1.Container{{Name: "init", EnvFrom: []v1.EnvFromSource{{ConfigMapRef: &v1.ConfigMapEnvSource{}}}}}
		}, ""},
		{"env fileKeyRef", withEnv(&v1.EnvVarSource{FileKeyRef: &v1.FileKeySelector{Key: "k"}}),
			"spec.containers[0].env[0].valueFrom.fileKeyRef: env from files is not supported yet"},
		{"image pull secrets", func(p *v1.Pod) { p.Spec.ImagePullSecrets = []v1.LocalObjectReference{{Name: "reg"}} }, ""},
		{"sidecar", func(p *v1.Pod) {
			always := v1.ContainerRestartPolicyAlways
			p.Spec.InitContainers = []v1.Container{{Name: "side", RestartPolicy: &always}}
		}, ""},
		{"restartPolicy Always on an app container", func(p *v1.Pod) {
			p.Spec.Containers[0].RestartPolicy = new(v1.ContainerRestartPolicyAlways)
		}, "spec.containers[0].restartPolicy: per-container restartPolicy"},
		{"restartPolicy Never on an init container", func(p *v1.Pod) {
			p.Spec.InitContainers = []v1.Container{{Name: "i", RestartPolicy: new(v1.ContainerRestartPolicyNever)}}
		}, "spec.initContainers[0].restartPolicy: per-container restartPolicy"},
		{"per-container restartPolicy", func(p *v1.Pod) {
			never := v1.ContainerRestartPolicyNever
			p.Spec.Containers[0].RestartPolicy = &never
		}, "spec.containers[0].restartPolicy: per-container restartPolicy"},
		{"ephemeral containers (kubectl debug), one with a target", func(p *v1.Pod) {
			p.Spec.EphemeralContainers = []v1.EphemeralContainer{
				{EphemeralContainerCommon: v1.EphemeralContainerCommon{Name: "debug", Image: "busybox", Stdin: true, TTY: true}},
				{EphemeralContainerCommon: v1.EphemeralContainerCommon{Name: "debug-c", Image: "busybox"}, TargetContainerName: "c"},
			}
		}, ""},
		{"resource claims", func(p *v1.Pod) { p.Spec.ResourceClaims = []v1.PodResourceClaim{{Name: "gpu"}} }, "spec.resourceClaims"},
		{"container resource claims", func(p *v1.Pod) { p.Spec.Containers[0].Resources.Claims = []v1.ResourceClaim{{Name: "gpu"}} }, "spec.containers[0].resources.claims"},
		{"name too long for the log directory", func(p *v1.Pod) {
			p.Namespace, p.Name = "default", strings.Repeat("n", 250)
		}, "metadata.name: namespace and name together are 257 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &v1.Pod{Spec: v1.PodSpec{Containers: []v1.Container{{Name: "c", Image: "kubia"}}}}
			tt.change(p)
			got := Refusal(p)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Refusal = %q, want %q", got, tt.want)
			}
		})
	}
}
