package staticpods

import (
	"github.com/minikubelet/minikubelet/kubelet/volume"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Static pods have no API server behind them: nothing can read ConfigMaps
// or Secrets, issue service-account tokens, bind claims or add ephemeral
// containers. restrictStaticPod refuses those fields with one clear error
// each rather than starting a pod that silently lacks them.

func restrictStaticPod(pod *v1.Pod) []problem {
	spec := &pod.Spec
	path := field.NewPath("spec")
	problems := restrictVolumes(spec.Volumes, path.Child("volumes"))
	if spec.ServiceAccountName != "" {
		problems = append(problems, forbidden(path.Child("serviceAccountName"),
			"static pods cannot use a service account (there is no API server to issue its token); remove serviceAccountName"))
	}
	if spec.DeprecatedServiceAccount != "" {
		problems = append(problems, forbidden(path.Child("serviceAccount"),
			"static pods cannot use a service account (there is no API server to issue its token); remove serviceAccount"))
	}
	if spec.AutomountServiceAccountToken != nil && *spec.AutomountServiceAccountToken {
		problems = append(problems, forbidden(path.Child("automountServiceAccountToken"),
			"static pods cannot mount a service account token (there is no API server to issue one); remove it or set it to false"))
	}
	if len(spec.EphemeralContainers) > 0 {
		problems = append(problems, forbidden(path.Child("ephemeralContainers"),
			"static pods cannot have ephemeral containers (they are added through the API server); remove them"))
	}
	if len(spec.ResourceClaims) > 0 {
		problems = append(problems, forbidden(path.Child("resourceClaims"), resourceClaimsRefusal))
	}
	if len(spec.ImagePullSecrets) > 0 {
		problems = append(problems, forbidden(path.Child("imagePullSecrets"),
			"static pods cannot use imagePullSecrets (there is no API server to read Secrets from); "+
				"configure registry credentials in the container runtime"))
	}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		problems = append(problems, restrictContainer(c, path.Child("initContainers").Index(i), true)...)
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		problems = append(problems, restrictContainer(c, path.Child("containers").Index(i), false)...)
	}
	return problems
}

const resourceClaimsRefusal = "static pods cannot use resource claims (there is no API server to allocate them); remove them"

func restrictVolumes(volumes []v1.Volume, path *field.Path) []problem {
	var problems []problem
	for i := range volumes {
		for _, source := range volume.SourceNames(&volumes[i].VolumeSource) {
			if reason := volume.Refusal(source); reason != "" {
				problems = append(problems, forbidden(path.Index(i).Child(source), reason))
			}
		}
	}
	return problems
}

func restrictContainer(c *v1.Container, path *field.Path, initContainer bool) []problem {
	var problems []problem
	switch {
	case c.RestartPolicy == nil:
	case initContainer && *c.RestartPolicy == v1.ContainerRestartPolicyAlways: // a sidecar
	default:
		problems = append(problems, forbidden(path.Child("restartPolicy"),
			"per-container restartPolicy is not supported yet; remove it (spec.restartPolicy applies to every container)"))
	}
	if len(c.RestartPolicyRules) > 0 {
		problems = append(problems, forbidden(path.Child("restartPolicyRules"),
			"container restart rules are not supported yet; remove them"))
	}
	if len(c.Resources.Claims) > 0 {
		problems = append(problems, forbidden(path.Child("resources", "claims"), resourceClaimsRefusal))
	}
	for i, variable := range c.Env {
		problems = append(problems, restrictEnvSource(variable.ValueFrom, path.Child("env").Index(i).Child("valueFrom"))...)
	}
	for i, source := range c.EnvFrom {
		sourcePath := path.Child("envFrom").Index(i)
		if source.ConfigMapRef != nil {
			problems = append(problems, forbidden(sourcePath.Child("configMapRef"), noConfigMaps))
		}
		if source.SecretRef != nil {
			problems = append(problems, forbidden(sourcePath.Child("secretRef"), noSecrets))
		}
	}
	return problems
}

const (
	noConfigMaps = "static pods cannot read ConfigMaps (there is no API server to read them from); set the values with env[].value"
	noSecrets    = "static pods cannot read Secrets (there is no API server to read them from); " +
		"set the values with env[].value or mount a hostPath file"
)

func restrictEnvSource(from *v1.EnvVarSource, path *field.Path) []problem {
	if from == nil {
		return nil
	}
	var problems []problem
	if from.ConfigMapKeyRef != nil {
		problems = append(problems, forbidden(path.Child("configMapKeyRef"), noConfigMaps))
	}
	if from.SecretKeyRef != nil {
		problems = append(problems, forbidden(path.Child("secretKeyRef"), noSecrets))
	}
	if from.FileKeyRef != nil {
		problems = append(problems, forbidden(path.Child("fileKeyRef"), "fileKeyRef is not supported yet; set the value with env[].value"))
	}
	return problems
}
