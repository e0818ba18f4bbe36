package translate

import (
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// maxHostnameLen is the kernel's limit on a UTS hostname.
const maxHostnameLen = 63

// SandboxConfig describes the pod to the runtime. It depends only on its
// arguments, so a container created later in an existing sandbox is given
// the config that sandbox was made from.
func SandboxConfig(node Node, pod *v1.Pod, attempt uint32) *runtimeapi.PodSandboxConfig {
	config := &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name: pod.Name, Namespace: pod.Namespace, Uid: string(pod.UID), Attempt: attempt,
		},
		LogDirectory: PodLogDir(node, pod),
		Labels:       SandboxLabels(node, pod),
		Annotations:  SandboxAnnotations(pod),
		PortMappings: PortMappings(pod),
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent:    PodCgroupParent(node, pod.UID),
			SecurityContext: SandboxSecurityContext(pod),
			Sysctls:         Sysctls(pod),
		},
	}
	if !pod.Spec.HostNetwork {
		// A host-network pod shares the node's UTS namespace, name and resolver.
		config.Hostname = Hostname(pod)
		config.DnsConfig = DNSConfig(node.HostDNS, pod)
	}
	return config
}

// Hostname is the pod's hostname as the kubelet gives it: its
// spec.hostnameOverride, else its spec.hostname, else its name; cut to the
// kernel's 63 bytes, without the '-' or '.' a cut may leave at the end.
func Hostname(pod *v1.Pod) string {
	name := pod.Name
	switch {
	case HasHostnameOverride(pod):
		name = *pod.Spec.HostnameOverride
	case pod.Spec.Hostname != "":
		name = pod.Spec.Hostname
	}
	if len(name) > maxHostnameLen {
		name = strings.TrimRight(name[:maxHostnameLen], "-.")
	}
	return name
}

// HasHostnameOverride reports whether the pod names its hostname outright
// (spec.hostnameOverride): then the name is the whole of it, with no
// domain from spec.subdomain.
func HasHostnameOverride(pod *v1.Pod) bool {
	return pod.Spec.HostnameOverride != nil && *pod.Spec.HostnameOverride != ""
}

// RuntimeHandler is the runtime handler the pod's sandbox runs with: its
// runtimeClassName as written (a standalone node has no RuntimeClass
// objects to look it up in), else the node's default.
func RuntimeHandler(defaultHandler string, pod *v1.Pod) string {
	if pod.Spec.RuntimeClassName != nil {
		return *pod.Spec.RuntimeClassName
	}
	return defaultHandler
}
