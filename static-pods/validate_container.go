package staticpods

import (
	"fmt"
	"slices"
	"strings"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateContainer checks one init or app container. containerNames maps
// the names seen so far in the pod to where they were declared, since names
// must be unique across init and app containers.
func validateContainer(c *v1.Container, path *field.Path, volumes sets.Set[string], containerNames map[string]*field.Path) []problem {
	var problems []problem
	switch msgs := validation.IsDNS1123Label(c.Name); {
	case c.Name == "":
		problems = append(problems, required(path.Child("name"), "every container needs a name"))
	case len(msgs) > 0:
		problems = append(problems, badName(path.Child("name"), c.Name, "container name", msgs))
	case containerNames[c.Name] != nil:
		problems = append(problems, duplicate(path.Child("name"), c.Name, fmt.Sprintf(
			"container name %q is already used by %s; container names must be unique across initContainers and containers",
			c.Name, containerNames[c.Name])))
	default:
		containerNames[c.Name] = path
	}
	problems = append(problems, validateImage(c, path)...)
	problems = append(problems, validatePorts(c.Ports, path.Child("ports"))...)
	problems = append(problems, validateEnv(c.Env, path.Child("env"))...)
	problems = append(problems, validateMounts(c.VolumeMounts, path.Child("volumeMounts"), volumes)...)
	problems = append(problems, validateProbe(c.LivenessProbe, path.Child("livenessProbe"), true)...)
	problems = append(problems, validateProbe(c.StartupProbe, path.Child("startupProbe"), true)...)
	problems = append(problems, validateProbe(c.ReadinessProbe, path.Child("readinessProbe"), false)...)
	return append(problems, validateResources(&c.Resources, path.Child("resources"))...)
}

func validateImage(c *v1.Container, path *field.Path) []problem {
	var problems []problem
	switch {
	case strings.TrimSpace(c.Image) == "":
		problems = append(problems, required(path.Child("image"), `the image to run, e.g. "nginx:1.27"`))
	case strings.TrimSpace(c.Image) != c.Image:
		problems = append(problems, invalid(path.Child("image"), c.Image, "must not start or end with spaces"))
	}
	pullPolicies := []v1.PullPolicy{v1.PullAlways, v1.PullIfNotPresent, v1.PullNever}
	if !slices.Contains(pullPolicies, c.ImagePullPolicy) {
		problems = append(problems, notSupported(path.Child("imagePullPolicy"), c.ImagePullPolicy, pullPolicies))
	}
	messagePolicies := []v1.TerminationMessagePolicy{v1.TerminationMessageReadFile, v1.TerminationMessageFallbackToLogsOnError}
	if !slices.Contains(messagePolicies, c.TerminationMessagePolicy) {
		problems = append(problems, notSupported(path.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, messagePolicies))
	}
	return problems
}

func validatePorts(ports []v1.ContainerPort, path *field.Path) []problem {
	var problems []problem
	portNames := sets.New[string]()
	protocols := []v1.Protocol{v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP}
	for i, port := range ports {
		portPath := path.Index(i)
		if len(validation.IsValidPortNum(int(port.ContainerPort))) > 0 {
			problems = append(problems, invalid(portPath.Child("containerPort"), port.ContainerPort, "must be between 1 and 65535"))
		}
		if port.HostPort != 0 && len(validation.IsValidPortNum(int(port.HostPort))) > 0 {
			problems = append(problems, invalid(portPath.Child("hostPort"), port.HostPort, "must be between 1 and 65535, or 0 for none"))
		}
		if !slices.Contains(protocols, port.Protocol) {
			problems = append(problems, notSupported(portPath.Child("protocol"), port.Protocol, protocols))
		}
		if port.Name == "" {
			continue
		}
		if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
			problems = append(problems, badName(portPath.Child("name"), port.Name, "port name", msgs))
		} else if portNames.Has(port.Name) {
			problems = append(problems, duplicate(portPath.Child("name"), port.Name,
				fmt.Sprintf("port name %q is used twice in this container", port.Name)))
		}
		portNames.Insert(port.Name)
	}
	return problems
}

// validateEnv uses the relaxed variable-name rule the API server applies
// by default since Kubernetes 1.34: any printable ASCII except "=".
func validateEnv(env []v1.EnvVar, path *field.Path) []problem {
	var problems []problem
	for i, variable := range env {
		varPath := path.Index(i)
		if variable.Name == "" {
			problems = append(problems, required(varPath.Child("name"), "every environment variable needs a name"))
		} else if msgs := validation.IsRelaxedEnvVarName(variable.Name); len(msgs) > 0 {
			problems = append(problems, badName(varPath.Child("name"), variable.Name, "environment variable name", msgs))
		}
		if variable.ValueFrom == nil {
			continue
		}
		if variable.Value != "" {
			problems = append(problems, invalid(varPath, variable.Name, "set either value or valueFrom, not both"))
		}
		from := variable.ValueFrom
		sources := 0
		for _, set := range []bool{from.FieldRef != nil, from.ResourceFieldRef != nil, from.ConfigMapKeyRef != nil,
			from.SecretKeyRef != nil, from.FileKeyRef != nil} {
			if set {
				sources++
			}
		}
		if sources != 1 {
			problems = append(problems, invalid(varPath.Child("valueFrom"), sources, "must name exactly one source"))
		}
	}
	return problems
}

func validateMounts(mounts []v1.VolumeMount, path *field.Path, volumes sets.Set[string]) []problem {
	var problems []problem
	mountPaths := sets.New[string]()
	for i, mount := range mounts {
		mountPath := path.Index(i)
		if !volumes.Has(mount.Name) {
			problems = append(problems, fieldProblem(&field.Error{
				Type: field.ErrorTypeNotFound, Field: mountPath.Child("name").String(), BadValue: mount.Name,
				Detail: fmt.Sprintf("no volume named %q in spec.volumes (declare it there or fix the name)", mount.Name),
			}))
		}
		switch {
		case mount.MountPath == "":
			problems = append(problems, required(mountPath.Child("mountPath"), "where the volume appears in the container"))
		case mountPaths.Has(mount.MountPath):
			problems = append(problems, duplicate(mountPath.Child("mountPath"), mount.MountPath,
				fmt.Sprintf("%s is mounted twice in this container", mount.MountPath)))
		}
		mountPaths.Insert(mount.MountPath)
		problems = append(problems, validateSubPaths(&mount, mountPath)...)
	}
	return problems
}

// validateSubPaths checks subPath and subPathExpr as written; the agent
// checks subPathExpr again once the container's env is expanded into it.
func validateSubPaths(mount *v1.VolumeMount, path *field.Path) []problem {
	var problems []problem
	if mount.SubPath != "" && mount.SubPathExpr != "" {
		problems = append(problems, invalid(path.Child("subPathExpr"), mount.SubPathExpr,
			"subPath and subPathExpr are mutually exclusive: keep one of them"))
	}
	for _, sub := range []struct{ name, value string }{{"subPath", mount.SubPath}, {"subPathExpr", mount.SubPathExpr}} {
		if strings.HasPrefix(sub.value, "/") || slices.Contains(strings.Split(sub.value, "/"), "..") {
			problems = append(problems, invalid(path.Child(sub.name), sub.value,
				`must be a relative path inside the volume, without ".."`))
		}
	}
	return problems
}

// validateProbe checks a defaulted probe. Liveness and startup probes must
// succeed once to count, as in the API server.
func validateProbe(probe *v1.Probe, path *field.Path, mustSucceedOnce bool) []problem {
	if probe == nil {
		return nil
	}
	var problems []problem
	handlers := 0
	for _, set := range []bool{probe.Exec != nil, probe.HTTPGet != nil, probe.TCPSocket != nil, probe.GRPC != nil} {
		if set {
			handlers++
		}
	}
	if handlers != 1 {
		problems = append(problems, invalid(path, handlers, "must have exactly one of exec, httpGet, tcpSocket or grpc"))
	}
	for _, setting := range []struct {
		name  string
		value int32
	}{{"initialDelaySeconds", probe.InitialDelaySeconds}, {"timeoutSeconds", probe.TimeoutSeconds},
		{"periodSeconds", probe.PeriodSeconds}, {"successThreshold", probe.SuccessThreshold},
		{"failureThreshold", probe.FailureThreshold}} {
		if setting.value < 0 {
			problems = append(problems, invalid(path.Child(setting.name), setting.value, "must not be negative"))
		}
	}
	if mustSucceedOnce && probe.SuccessThreshold != 1 {
		problems = append(problems, invalid(path.Child("successThreshold"), probe.SuccessThreshold, "must be 1 for liveness and startup probes"))
	}
	if probe.HTTPGet != nil {
		problems = append(problems, validatePortRef(probe.HTTPGet.Port, path.Child("httpGet", "port"))...)
	}
	if probe.TCPSocket != nil {
		problems = append(problems, validatePortRef(probe.TCPSocket.Port, path.Child("tcpSocket", "port"))...)
	}
	if probe.GRPC != nil && len(validation.IsValidPortNum(int(probe.GRPC.Port))) > 0 {
		problems = append(problems, invalid(path.Child("grpc", "port"), probe.GRPC.Port, "must be between 1 and 65535"))
	}
	return problems
}

// validatePortRef checks a port given as a number or as a container port name.
func validatePortRef(port intstr.IntOrString, path *field.Path) []problem {
	if port.Type == intstr.Int {
		if len(validation.IsValidPortNum(port.IntValue())) > 0 {
			return []problem{invalid(path, port.IntValue(), "must be between 1 and 65535")}
		}
		return nil
	}
	if msgs := validation.IsValidPortName(port.StrVal); len(msgs) > 0 {
		return []problem{badName(path, port.StrVal, "port name", msgs)}
	}
	return nil
}

func validateResources(resources *v1.ResourceRequirements, path *field.Path) []problem {
	var problems []problem
	for _, list := range []struct {
		name   string
		values v1.ResourceList
	}{{"limits", resources.Limits}, {"requests", resources.Requests}} {
		for _, name := range sortedKeys(list.values) {
			if quantity := list.values[name]; quantity.Sign() < 0 {
				problems = append(problems, invalid(path.Child(list.name).Key(string(name)), quantity.String(), "must not be negative"))
			}
		}
	}
	for _, name := range sortedKeys(resources.Requests) {
		request := resources.Requests[name]
		limit, limited := resources.Limits[name]
		if limited && request.Cmp(limit) > 0 {
			problems = append(problems, invalid(path.Child("requests").Key(string(name)), request.String(),
				fmt.Sprintf("must not be above the limit %s", limit.String())))
		}
	}
	return problems
}
