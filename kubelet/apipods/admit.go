package apipods

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/minikubelet/minikubelet/kubelet/volume"
	staticpods "github.com/minikubelet/minikubelet/static-pods"
)

// ReasonUnsupported is the status reason of a pod this node refuses
// because it asks for something the agent does not build yet.
const ReasonUnsupported = "UnsupportedPodSpec"

// Refusal says why this node cannot run pod, "" when it can. A pod that
// needs what the agent does not build yet would start without its files,
// env or credentials, so it is refused with a visible status instead, as
// the kubelet's admit handlers refuse what a node cannot run. It is pure.
func Refusal(pod *v1.Pod) string {
	var problems []string
	add := func(path *field.Path, what string) {
		problems = append(problems, path.String()+": "+what)
	}
	spec := field.NewPath("spec")
	for i := range pod.Spec.Volumes {
		vol := &pod.Spec.Volumes[i]
		path := spec.Child("volumes").Index(i)
		for _, source := range volume.SourceNames(&vol.VolumeSource) {
			if why := volume.APIRefusal(source); why != "" {
				add(path.Child(source), fmt.Sprintf("%s (volume %q)", why, vol.Name))
			}
		}
		if t := volume.For(&vol.VolumeSource); t != nil {
			for _, problem := range t.Check(&vol.VolumeSource, path) {
				problems = append(problems, problem.Message)
			}
		}
	}
	if n := len(pod.Namespace) + len(pod.Name); n > staticpods.MaxNamespacedNameLength {
		add(field.NewPath("metadata", "name"), fmt.Sprintf("namespace and name together are %d characters; this node keeps a pod's logs in "+
			"<namespace>_<name>_<uid>, which allows %d", n, staticpods.MaxNamespacedNameLength))
	}
	if len(pod.Spec.ResourceClaims) > 0 {
		add(spec.Child("resourceClaims"), "resource claims are not supported yet")
	}
	containers := func(path *field.Path, cs []v1.Container) {
		for i := range cs {
			c := &cs[i]
			switch {
			case c.RestartPolicy == nil:
			case *c.RestartPolicy == v1.ContainerRestartPolicyAlways && path.String() == "spec.initContainers": // a sidecar
			default:
				add(path.Index(i).Child("restartPolicy"), "per-container restartPolicy is not supported yet")
			}
			if len(c.RestartPolicyRules) > 0 {
				add(path.Index(i).Child("restartPolicyRules"), "container restart rules are not supported yet")
			}
			if len(c.Resources.Claims) > 0 {
				add(path.Index(i).Child("resources", "claims"), "resource claims are not supported yet")
			}
			for j, env := range c.Env {
				if from := env.ValueFrom; from != nil && from.FileKeyRef != nil {
					add(path.Index(i).Child("env").Index(j).Child("valueFrom", "fileKeyRef"), "env from files is not supported yet")
				}
			}
		}
	}
	containers(spec.Child("initContainers"), pod.Spec.InitContainers)
	containers(spec.Child("containers"), pod.Spec.Containers)
	if len(problems) == 0 {
		return ""
	}
	return "minikubelet cannot run this pod: " + strings.Join(problems, "; ")
}
