package staticpods

import (
	"fmt"
	"github.com/minikubelet/minikubelet/kubelet/volume"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePod checks a defaulted pod as the API server would, and refuses
// the fields a pod without an API server cannot use (configMap and secret
// volumes, service accounts, ephemeral containers, resource claims, ...).
// It returns every problem, not just the first. spec.nodeName is left to
// DecodeManifest, which knows this node's name.
func ValidatePod(pod *v1.Pod) field.ErrorList {
	problems := validatePod(pod)
	list := make(field.ErrorList, 0, len(problems))
	for _, p := range problems {
		list = append(list, p.err)
	}
	return list
}

func validatePod(pod *v1.Pod) []problem {
	problems := validateMetadata(&pod.ObjectMeta)
	problems = append(problems, validateSpec(&pod.Spec, field.NewPath("spec"))...)
	return append(problems, restrictStaticPod(pod)...)
}

// badName reports a name that breaks a naming rule; msgs are
// apimachinery's explanations of the rule.
func badName(path *field.Path, name, what string, msgs []string) problem {
	return invalid(path, Shorten(name, maxQuotedBytes), fmt.Sprintf("%s is not a valid %s: %s", quoted(name), what, strings.Join(msgs, "; ")))
}

func validateSpec(spec *v1.PodSpec, path *field.Path) []problem {
	volumes, problems := validateVolumes(spec.Volumes, path.Child("volumes"))
	if len(spec.Containers) == 0 {
		problems = append(problems, required(path.Child("containers"), "a pod needs at least one container"))
	}
	containerNames := map[string]*field.Path{}
	// Past maxProblems a file's problems are only counted (FileError), so
	// a pod of thousands of broken containers stops being checked early.
	for i := range spec.InitContainers {
		if len(problems) > maxProblems {
			break
		}
		c := &spec.InitContainers[i]
		problems = append(problems, validateContainer(c, path.Child("initContainers").Index(i), volumes, containerNames)...)
		problems = append(problems, validateInitContainer(c, path.Child("initContainers").Index(i))...)
	}
	for i := range spec.Containers {
		if len(problems) > maxProblems {
			break
		}
		c := &spec.Containers[i]
		problems = append(problems, validateContainer(c, path.Child("containers").Index(i), volumes, containerNames)...)
	}
	problems = append(problems, validateSharedPorts(spec.Containers, path.Child("containers"))...)
	problems = append(problems, validateHostPorts(spec.Containers, path.Child("containers"))...)
	problems = append(problems, validatePodPolicies(spec, path)...)
	problems = append(problems, validateHostnames(spec, path)...)
	return problems
}

func validatePodPolicies(spec *v1.PodSpec, path *field.Path) []problem {
	var problems []problem
	restartPolicies := []v1.RestartPolicy{v1.RestartPolicyAlways, v1.RestartPolicyOnFailure, v1.RestartPolicyNever}
	if !slices.Contains(restartPolicies, spec.RestartPolicy) {
		problems = append(problems, notSupported(path.Child("restartPolicy"), spec.RestartPolicy, restartPolicies))
	}
	dnsPolicies := []v1.DNSPolicy{v1.DNSClusterFirst, v1.DNSClusterFirstWithHostNet, v1.DNSDefault, v1.DNSNone}
	if !slices.Contains(dnsPolicies, spec.DNSPolicy) {
		problems = append(problems, notSupported(path.Child("dnsPolicy"), spec.DNSPolicy, dnsPolicies))
	}
	if spec.DNSPolicy == v1.DNSNone && spec.DNSConfig == nil {
		problems = append(problems, required(path.Child("dnsConfig"), "dnsPolicy None takes all DNS settings from dnsConfig"))
	}
	if spec.TerminationGracePeriodSeconds != nil && *spec.TerminationGracePeriodSeconds < 0 {
		problems = append(problems, invalid(path.Child("terminationGracePeriodSeconds"), *spec.TerminationGracePeriodSeconds,
			"must not be negative"))
	}
	if spec.ActiveDeadlineSeconds != nil && *spec.ActiveDeadlineSeconds <= 0 {
		problems = append(problems, invalid(path.Child("activeDeadlineSeconds"), *spec.ActiveDeadlineSeconds,
			"must be a positive number of seconds"))
	}
	return problems
}

// validateVolumes checks the pod's volumes and returns the declared names,
// which volume mounts must refer to.
func validateVolumes(volumes []v1.Volume, path *field.Path) (sets.Set[string], []problem) {
	names := sets.New[string]()
	var problems []problem
	for i := range volumes {
		vol := &volumes[i]
		volumePath := path.Index(i)
		switch msgs := validation.IsDNS1123Label(vol.Name); {
		case vol.Name == "":
			problems = append(problems, required(volumePath.Child("name"), "volume mounts refer to volumes by name"))
		case len(msgs) > 0:
			problems = append(problems, badName(volumePath.Child("name"), vol.Name, "volume name", msgs))
		case names.Has(vol.Name):
			problems = append(problems, duplicate(volumePath.Child("name"), vol.Name,
				fmt.Sprintf("volume name %q is used twice; volume names must be unique in a pod", vol.Name)))
		}
		names.Insert(vol.Name)
		if sources := volume.SourceNames(&vol.VolumeSource); len(sources) > 1 {
			problems = append(problems, invalid(volumePath, vol.Name, fmt.Sprintf(
				"a volume has exactly one type, this one has %d (%s); split it into several volumes",
				len(sources), strings.Join(sources, ", "))))
		}
		problems = append(problems, validateVolumeSource(&vol.VolumeSource, volumePath)...)
	}
	return names, problems
}

// validateVolumeSource checks a supported source's own fields; the
// volume types know them (kubelet/volume).
func validateVolumeSource(source *v1.VolumeSource, path *field.Path) []problem {
	t := volume.For(source)
	if t == nil {
		return nil // refused by restrictVolumes, or defaulted to emptyDir
	}
	var problems []problem
	for _, p := range t.Check(source, path) {
		problems = append(problems, problem{err: p.Err, msg: p.Message})
	}
	return problems
}

// validateSharedPorts refuses two app containers declaring the same port:
// they share one network namespace, so only one of them could listen.
func validateSharedPorts(containers []v1.Container, path *field.Path) []problem {
	type portKey struct {
		port     int32
		protocol v1.Protocol
	}
	declaredBy := map[portKey]string{}
	var problems []problem
	for i := range containers {
		c := &containers[i]
		for j, port := range c.Ports {
			key := portKey{port.ContainerPort, port.Protocol}
			owner, taken := declaredBy[key]
			if !taken {
				declaredBy[key] = c.Name
				continue
			}
			if owner == c.Name {
				problems = append(problems, duplicate(path.Index(i).Child("ports").Index(j), fmt.Sprintf("%d/%s", port.ContainerPort, port.Protocol),
					fmt.Sprintf("containerPort %d/%s is declared twice in container %q", port.ContainerPort, port.Protocol, c.Name)))
				continue
			}
			problems = append(problems, duplicate(path.Index(i).Child("ports").Index(j), fmt.Sprintf("%d/%s", port.ContainerPort, port.Protocol),
				fmt.Sprintf("containerPort %d/%s of container %q is already declared by container %q "+
					"(containers in a pod share one network namespace; give one of them another port)",
					port.ContainerPort, port.Protocol, c.Name, owner)))
		}
	}
	return problems
}

// validateHostPorts refuses the same host port twice among the app
// containers, which run together: the second could never be bound. Init
// containers run one at a time, so they may reuse a port.
func validateHostPorts(containers []v1.Container, path *field.Path) []problem {
	seen := map[string]bool{}
	var problems []problem
	for i := range containers {
		for j, port := range containers[i].Ports {
			if port.HostPort == 0 {
				continue
			}
			key := fmt.Sprintf("%s/%d/%s", port.HostIP, port.HostPort, port.Protocol)
			if seen[key] {
				problems = append(problems, duplicate(path.Index(i).Child("ports").Index(j).Child("hostPort"), port.HostPort,
					fmt.Sprintf("hostPort %d/%s is declared twice in this pod; each host port can be bound once", port.HostPort, port.Protocol)))
			}
			seen[key] = true
		}
	}
	return problems
}

func duplicate(path *field.Path, value any, detail string) problem {
	return fieldProblem(&field.Error{Type: field.ErrorTypeDuplicate, Field: path.String(), BadValue: value, Detail: detail})
}

func notSupported[T ~string](path *field.Path, value T, valid []T) problem {
	quoted := make([]string, len(valid))
	for i, v := range valid {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return problem{
		err: field.NotSupported(path, value, valid),
		msg: fmt.Sprintf("%s: %q is not supported (use one of %s)", path, value, strings.Join(quoted, ", ")),
	}
}

// validateInitContainer refuses what the API server refuses on a regular
// init container: hooks and probes, which only a sidecar (restartPolicy:
// Always), running beside the app containers, has a use for.
func validateInitContainer(c *v1.Container, path *field.Path) []problem {
	if c.RestartPolicy != nil && *c.RestartPolicy == v1.ContainerRestartPolicyAlways {
		return nil
	}
	const why = "may not be set for init containers without restartPolicy=Always"
	var problems []problem
	for _, f := range []struct {
		name string
		set  bool
	}{{"lifecycle", c.Lifecycle != nil}, {"livenessProbe", c.LivenessProbe != nil},
		{"readinessProbe", c.ReadinessProbe != nil}, {"startupProbe", c.StartupProbe != nil}} {
		if f.set {
			problems = append(problems, forbidden(path.Child(f.name), why))
		}
	}
	return problems
}
