package kubelet

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

	ContainerHashAnnotation         = "io.kubernetes.container.hash"
	ContainerRestartCountAnnotation = "io.kubernetes.container.restartCount"
	ContainerTerminationMessagePath = "io.kubernetes.container.terminationMessagePath"
	PodTerminationGraceAnnotation   = "io.kubernetes.pod.terminationGracePeriod"
	ContainerPortsAnnotation        = "io.kubernetes.container.ports"
)

// ContainerType distinguishes init containers from app containers.
type ContainerType string

// Container types, as recorded in ContainerTypeLabel.
const (
	ContainerTypeInit ContainerType = "init"
	ContainerTypeApp  ContainerType = "app"
)

// sandboxLabels are the pod's own labels plus the kubelet's identity labels;
// identity keys win over user labels of the same name.
func sandboxLabels(pod *v1.Pod, node string) map[string]string {
	labels := make(map[string]string, len(pod.Labels)+4)
	for k, v := range pod.Labels {
		labels[k] = v
	}
	labels[PodNameLabel] = pod.Name
	labels[PodNamespaceLabel] = pod.Namespace
	labels[PodUIDLabel] = string(pod.UID)
	labels[ManagedByLabel] = ManagedByValue
	labels[NodeLabel] = node
	return labels
}

// sandboxAnnotations carry the pod's own annotations, which include the
// manifest file the source read it from.
func sandboxAnnotations(pod *v1.Pod) map[string]string {
	annotations := make(map[string]string, len(pod.Annotations)+1)
	for k, v := range pod.Annotations {
		annotations[k] = v
	}
	annotations[PodTerminationGraceAnnotation] = strconv.FormatInt(gracePeriodSeconds(pod), 10)
	return annotations
}

func containerLabels(pod *v1.Pod, containerName string, kind ContainerType, node string) map[string]string {
	return map[string]string{
		PodNameLabel:       pod.Name,
		PodNamespaceLabel:  pod.Namespace,
		PodUIDLabel:        string(pod.UID),
		ContainerNameLabel: containerName,
		ContainerTypeLabel: string(kind),
		ManagedByLabel:     ManagedByValue,
		NodeLabel:          node,
	}
}

func containerAnnotations(pod *v1.Pod, c *v1.Container, restartCount int) map[string]string {
	annotations := map[string]string{
		ContainerHashAnnotation:         containerHash(c),
		ContainerRestartCountAnnotation: strconv.Itoa(restartCount),
		PodTerminationGraceAnnotation:   strconv.FormatInt(gracePeriodSeconds(pod), 10),
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

// managedSelector selects everything this agent created.
func managedSelector(node string) map[string]string {
	return map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: node}
}

// podSelector selects one pod's sandboxes or containers.
func podSelector(node string, uid types.UID) map[string]string {
	return map[string]string{ManagedByLabel: ManagedByValue, NodeLabel: node, PodUIDLabel: string(uid)}
}

// minGracePeriodSeconds is the kubelet's floor: a pod always gets a chance
// to handle SIGTERM.
const minGracePeriodSeconds = 2

func gracePeriodSeconds(pod *v1.Pod) int64 {
	grace := int64(30)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	if grace < minGracePeriodSeconds {
		grace = minGracePeriodSeconds
	}
	return grace
}
