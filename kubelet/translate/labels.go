package translate

import (
	"encoding/json"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Label and annotation keys on sandboxes and containers. The io.kubernetes.*
// keys are the kubelet's own, so crictl's POD/NAMESPACE columns and existing
// tooling read them unchanged; ManagedByLabel marks what this agent owns so
// it never touches pods it did not create.
const (
	ManagedByLabel = "io.minikubelet.managed-by"
	ManagedByValue = "minikubelet"
	// NodeLabel scopes ownership to one agent: agents with different node
	// names can share a runtime without removing each other's pods.
	NodeLabel = "io.minikubelet.node"

	PodNameLabel       = "io.kubernetes.pod.name"
	PodNamespaceLabel  = "io.kubernetes.pod.namespace"
	PodUIDLabel        = "io.kubernetes.pod.uid"
	ContainerNameLabel = "io.kubernetes.container.name"
	// ContainerTypeLabel tells init from app containers after an agent restart.
	ContainerTypeLabel = "io.minikubelet.container.type"

	ContainerHashAnnotation = "io.kubernetes.container.hash"
	// ContainerSpecHashAnnotation is ContainerSpecHash: a container made
	// before it was recorded has only ContainerHashAnnotation.
	ContainerSpecHashAnnotation     = "io.minikubelet.container.spec-hash"
	ContainerRestartCountAnnotation = "io.kubernetes.container.restartCount"
	ContainerTerminationMessagePath = "io.kubernetes.container.terminationMessagePath"
	PodTerminationGraceAnnotation   = "io.kubernetes.pod.terminationGracePeriod"
	ContainerPortsAnnotation        = "io.kubernetes.container.ports"
)

// ContainerType distinguishes init, app and ephemeral containers.
type ContainerType string

// Container types, as recorded in ContainerTypeLabel.
const (
	ContainerTypeInit ContainerType = "init"
	ContainerTypeApp  ContainerType = "app"
	// ContainerTypeEphemeral is a container `kubectl debug` added to a
	// running pod (spec.ephemeralContainers): started once, never again.
	ContainerTypeEphemeral ContainerType = "ephemeral"
)

// SandboxLabels are the pod's own labels plus the identity labels; an
// identity key wins over a user label of the same name, so no manifest
// can disown its pod or pass it off as another's.
func SandboxLabels(node Node, pod *v1.Pod) map[string]string {
	labels := make(map[string]string, len(pod.Labels)+5)
	for k, v := range pod.Labels {
		labels[k] = v
	}
	labels[PodNameLabel] = pod.Name
	labels[PodNamespaceLabel] = pod.Namespace
	labels[PodUIDLabel] = string(pod.UID)
	labels[ManagedByLabel] = ManagedByValue
	labels[NodeLabel] = node.Name
	return labels
}

// SandboxAnnotations are the pod's own annotations (among them the
// manifest file the source read it from) and its grace period, which wins
// over an annotation of the same name.
func SandboxAnnotations(pod *v1.Pod) map[string]string {
	annotations := make(map[string]string, len(pod.Annotations)+1)
	for k, v := range pod.Annotations {
		annotations[k] = v
	}
	annotations[PodTerminationGraceAnnotation] = strconv.FormatInt(PodGracePeriodSeconds(pod), 10)
	return annotations
}

// ContainerLabels are a container's identity labels; the pod's own labels
// stay on the sandbox.
func ContainerLabels(node Node, pod *v1.Pod, containerName string, kind ContainerType) map[string]string {
	return map[string]string{
		PodNameLabel:       pod.Name,
		PodNamespaceLabel:  pod.Namespace,
		PodUIDLabel:        string(pod.UID),
		ContainerNameLabel: containerName,
		ContainerTypeLabel: string(kind),
		ManagedByLabel:     ManagedByValue,
		NodeLabel:          node.Name,
	}
}

// ContainerAnnotations record what a restarted agent needs to adopt the
// container: its spec's hash, its restart count, the pod's grace period,
// and, as the kubelet records them, its termination message path and ports.
func ContainerAnnotations(pod *v1.Pod, c *v1.Container, restartCount int) map[string]string {
	annotations := map[string]string{
		ContainerHashAnnotation:         ContainerHash(c),
		ContainerSpecHashAnnotation:     ContainerSpecHash(c),
		ContainerRestartCountAnnotation: strconv.Itoa(restartCount),
		PodTerminationGraceAnnotation:   strconv.FormatInt(PodGracePeriodSeconds(pod), 10),
	}
	if c.TerminationMessagePath != "" {
		annotations[ContainerTerminationMessagePath] = c.TerminationMessagePath
	}
	if len(c.Ports) > 0 {
		if ports, err := json.Marshal(c.Ports); err == nil {
			annotations[ContainerPortsAnnotation] = string(ports)
		}
	}
	return annotations
}

// ManagedSelector selects every sandbox and container this agent created.
func ManagedSelector(nodeName string) map[string]string {
	return map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: nodeName}
}

// PodSelector selects one pod's sandboxes or containers.
func PodSelector(nodeName string, uid types.UID) map[string]string {
	return map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: nodeName, PodUIDLabel: string(uid)}
}
