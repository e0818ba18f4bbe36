package staticpods

import (
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
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

func validateMetadata(meta *metav1.ObjectMeta) []problem {
	path := field.NewPath("metadata")
	var problems []problem
	if meta.Name == "" {
		problems = append(problems, required(path.Child("name"), "every pod needs a name"))
	} else if msgs := validation.IsDNS1123Subdomain(meta.Name); len(msgs) > 0 {
		problems = append(problems, badName(path.Child("name"), meta.Name, "pod name", msgs))
	}
	if msgs := validation.IsDNS1123Label(meta.Namespace); len(msgs) > 0 {
		problems = append(problems, badName(path.Child("namespace"), meta.Namespace, "namespace", msgs))
	}
	problems = append(problems, foreignProblems(metav1validation.ValidateLabels(meta.Labels, path.Child("labels")))...)
	return append(problems, foreignProblems(apivalidation.ValidateAnnotations(meta.Annotations, path.Child("annotations")))...)
}

// badName reports a name that breaks a naming rule; msgs are
// apimachinery's explanations of the rule.
func badName(path *field.Path, name, what string, msgs []string) problem {
	return invalid(path, name, fmt.Sprintf("%q is not a valid %s: %s", name, what, strings.Join(msgs, "; ")))
}

func validateSpec(spec *v1.PodSpec, path *field.Path) []problem {
	volumes, problems := validateVolumes(spec.Volumes, path.Child("volumes"))
	if len(spec.Containers) == 0 {
		problems = append(problems, required(path.Child("containers"), "a pod needs at least one container"))
	}
	containerNames := map[string]*field.Path{}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		problems = append(problems, validateContainer(c, path.Child("initContainers").Index(i), volumes, containerNames)...)
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		problems = append(problems, validateContainer(c, path.Child("containers").Index(i), volumes, containerNames)...)
	}
	problems = append(problems, validateSharedPorts(spec.Containers, path.Child("containers"))...)
	problems = append(problems, validateHostPorts(spec.Containers, path.Child("containers"))...)
	problems = append(problems, validatePodPolicies(spec, path)...)
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
		volume := &volumes[i]
		volumePath := path.Index(i)
		switch msgs := validation.IsDNS1123Label(volume.Name); {
		case volume.Name == "":
			problems = append(problems, required(volumePath.Child("name"), "volume mounts refer to volumes by name"))
		case len(msgs) > 0:
			problems = append(problems, badName(volumePath.Child("name"), volume.Name, "volume name", msgs))
		case names.Has(volume.Name):
			problems = append(problems, duplicate(volumePath.Child("name"), volume.Name,
				fmt.Sprintf("volume name %q is used twice; volume names must be unique in a pod", volume.Name)))
		}
		names.Insert(volume.Name)
		if sources := volumeSourceNames(&volume.VolumeSource); len(sources) > 1 {
			problems = append(problems, invalid(volumePath, volume.Name, fmt.Sprintf(
				"a volume has exactly one type, this one has %d (%s); split it into several volumes",
				len(sources), strings.Join(sources, ", "))))
		}
		problems = append(problems, validateVolumeSource(&volume.VolumeSource, volumePath)...)
	}
	return names, problems
}

func validateVolumeSource(source *v1.VolumeSource, path *field.Path) []problem {
	var problems []problem
	if hostPath := source.HostPath; hostPath != nil {
		if hostPath.Path == "" {
			problems = append(problems, required(path.Child("hostPath", "path"), "the host directory or file to mount"))
		}
		types := []v1.HostPathType{v1.HostPathUnset, v1.HostPathDirectoryOrCreate, v1.HostPathDirectory,
			v1.HostPathFileOrCreate, v1.HostPathFile, v1.HostPathSocket, v1.HostPathCharDev, v1.HostPathBlockDev}
		if hostPath.Type != nil && !slices.Contains(types, *hostPath.Type) {
			problems = append(problems, notSupported(path.Child("hostPath", "type"), *hostPath.Type, types))
		}
	}
	if emptyDir := source.EmptyDir; emptyDir != nil {
		medium := emptyDir.Medium
		if medium != v1.StorageMediumDefault && medium != v1.StorageMediumMemory &&
			medium != v1.StorageMediumHugePages && !strings.HasPrefix(string(medium), string(v1.StorageMediumHugePagesPrefix)) {
			problems = append(problems, notSupported(path.Child("emptyDir", "medium"), medium,
				[]v1.StorageMedium{v1.StorageMediumDefault, v1.StorageMediumMemory, v1.StorageMediumHugePages}))
		}
		if emptyDir.SizeLimit != nil && emptyDir.SizeLimit.Sign() < 0 {
			problems = append(problems, invalid(path.Child("emptyDir", "sizeLimit"), emptyDir.SizeLimit.String(), "must not be negative"))
		}
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
