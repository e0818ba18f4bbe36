package staticpods

import (
	"github.com/minikubelet/minikubelet/kubelet/volume"
	"strings"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Values the API server would fill in. k8s.io/api has no public defaulting
// for core/v1 (it lives in k8s.io/kubernetes), so the rules are restated
// here; they follow the API server's behaviour field by field.
const (
	defaultGracePeriodSeconds  int64 = 30
	defaultSchedulerName             = "default-scheduler"
	defaultTerminationLogPath        = "/dev/termination-log"
	defaultProbeTimeoutSeconds int32 = 1
	defaultProbePeriodSeconds  int32 = 10
	defaultProbeSuccess        int32 = 1
	defaultProbeFailure        int32 = 3
	defaultVolumeFileMode      int32 = 0o644
)

// SetDefaults fills in every field the API server defaults on a Pod, so a
// pod read from a file compares and hashes like one read from the API.
func SetDefaults(pod *v1.Pod) {
	if pod.Namespace == "" {
		pod.Namespace = metav1.NamespaceDefault
	}
	setPodSpecDefaults(&pod.Spec)
}

func setPodSpecDefaults(spec *v1.PodSpec) {
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = v1.RestartPolicyAlways
	}
	if spec.TerminationGracePeriodSeconds == nil {
		spec.TerminationGracePeriodSeconds = ptrTo(defaultGracePeriodSeconds)
	}
	if spec.DNSPolicy == "" {
		spec.DNSPolicy = v1.DNSClusterFirst
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = defaultSchedulerName
	}
	if spec.EnableServiceLinks == nil {
		spec.EnableServiceLinks = ptrTo(v1.DefaultEnableServiceLinks)
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &v1.PodSecurityContext{}
	}
	for i := range spec.InitContainers {
		setContainerDefaults(&spec.InitContainers[i], spec.HostNetwork)
	}
	for i := range spec.Containers {
		setContainerDefaults(&spec.Containers[i], spec.HostNetwork)
	}
	for i := range spec.Volumes {
		setVolumeDefaults(&spec.Volumes[i].VolumeSource)
	}
}

func setContainerDefaults(c *v1.Container, hostNetwork bool) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = defaultPullPolicy(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = defaultTerminationLogPath
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = v1.TerminationMessageReadFile
	}
	for i := range c.Ports {
		port := &c.Ports[i]
		if port.Protocol == "" {
			port.Protocol = v1.ProtocolTCP
		}
		// With the host's network the container port is the host port.
		if hostNetwork && port.HostPort == 0 {
			port.HostPort = port.ContainerPort
		}
	}
	for i := range c.Env {
		if ref := envFieldRef(c.Env[i]); ref != nil && ref.APIVersion == "" {
			ref.APIVersion = "v1"
		}
	}
	setRequestsFromLimits(&c.Resources)
	for _, probe := range []*v1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		setProbeDefaults(probe)
	}
	if c.Lifecycle != nil {
		for _, handler := range []*v1.LifecycleHandler{c.Lifecycle.PostStart, c.Lifecycle.PreStop} {
			if handler != nil {
				setHTTPGetDefaults(handler.HTTPGet)
			}
		}
	}
}

// defaultPullPolicy pulls ":latest" and untagged images every time, as the
// tag may move; pinned tags and digests are pulled only when missing.
func defaultPullPolicy(image string) v1.PullPolicy {
	if strings.Contains(image, "@") {
		return v1.PullIfNotPresent
	}
	tag := ""
	if colon := strings.LastIndex(image, ":"); colon > strings.LastIndex(image, "/") {
		tag = image[colon+1:]
	}
	if tag == "" || tag == "latest" {
		return v1.PullAlways
	}
	return v1.PullIfNotPresent
}

func envFieldRef(env v1.EnvVar) *v1.ObjectFieldSelector {
	if env.ValueFrom == nil {
		return nil
	}
	return env.ValueFrom.FieldRef
}

// setRequestsFromLimits makes a limit without a request also the request,
// as the API server does.
func setRequestsFromLimits(resources *v1.ResourceRequirements) {
	for name, limit := range resources.Limits {
		if _, set := resources.Requests[name]; set {
			continue
		}
		if resources.Requests == nil {
			resources.Requests = v1.ResourceList{}
		}
		resources.Requests[name] = limit.DeepCopy()
	}
}

func setProbeDefaults(probe *v1.Probe) {
	if probe == nil {
		return
	}
	if probe.TimeoutSeconds == 0 {
		probe.TimeoutSeconds = defaultProbeTimeoutSeconds
	}
	if probe.PeriodSeconds == 0 {
		probe.PeriodSeconds = defaultProbePeriodSeconds
	}
	if probe.SuccessThreshold == 0 {
		probe.SuccessThreshold = defaultProbeSuccess
	}
	if probe.FailureThreshold == 0 {
		probe.FailureThreshold = defaultProbeFailure
	}
	setHTTPGetDefaults(probe.HTTPGet)
	if probe.GRPC != nil && probe.GRPC.Service == nil {
		probe.GRPC.Service = ptrTo("")
	}
}

func setHTTPGetDefaults(get *v1.HTTPGetAction) {
	if get == nil {
		return
	}
	if get.Path == "" {
		get.Path = "/"
	}
	if get.Scheme == "" {
		get.Scheme = v1.URISchemeHTTP
	}
}

func setVolumeDefaults(source *v1.VolumeSource) {
	if volumeSourceName(source) == "" {
		// A volume that names no source is an empty directory.
		source.EmptyDir = &v1.EmptyDirVolumeSource{}
	}
	// As the API server: an image volume's images are pulled by the
	// container images' rule.
	if source.Image != nil && source.Image.PullPolicy == "" {
		source.Image.PullPolicy = defaultPullPolicy(source.Image.Reference)
	}
	if source.HostPath != nil && source.HostPath.Type == nil {
		source.HostPath.Type = ptrTo(v1.HostPathUnset)
	}
	// The modes below matter only for the volume types static pods refuse,
	// but defaulting them keeps the pod identical to what the API serves.
	if source.ConfigMap != nil && source.ConfigMap.DefaultMode == nil {
		source.ConfigMap.DefaultMode = ptrTo(defaultVolumeFileMode)
	}
	if source.Secret != nil && source.Secret.DefaultMode == nil {
		source.Secret.DefaultMode = ptrTo(defaultVolumeFileMode)
	}
	if source.DownwardAPI != nil && source.DownwardAPI.DefaultMode == nil {
		source.DownwardAPI.DefaultMode = ptrTo(defaultVolumeFileMode)
	}
	if source.Projected != nil && source.Projected.DefaultMode == nil {
		source.Projected.DefaultMode = ptrTo(defaultVolumeFileMode)
	}
}

// volumeSourceName returns the JSON name of the first source set in a
// volume ("hostPath", "configMap", ...), or "" when none is.
func volumeSourceName(source *v1.VolumeSource) string {
	if names := volume.SourceNames(source); len(names) > 0 {
		return names[0]
	}
	return ""
}

func ptrTo[T any](v T) *T { return &v }
