package kubelet

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// ErrPodNotFound is wrapped when no pod or container has the asked name.
var ErrPodNotFound = errors.New("not found")

// ErrContainerChoice is wrapped when a pod has several containers and the
// caller named none.
var ErrContainerChoice = errors.New("a container name must be specified")

// ContainerLookup says where one container of a pod is and where its logs are.
type ContainerLookup struct {
	Name        string
	ContainerID string // current instance, "" if never created
	Running     bool
	// LogPath is the current instance's log; PreviousLogPath the one
	// before it ("" if there was none).
	LogPath, PreviousLogPath string
	// Containers lists every container of the pod: init containers, app
	// containers, then ephemeral containers, as kube-apiserver lists them.
	Containers []string
}

// LookupContainer finds a container of a pod by name; an empty name means
// the pod's only app container.
func (k *Kubelet) LookupContainer(namespace, pod, container string) (ContainerLookup, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec := k.liveRecord(namespace, pod)
	if rec == nil {
		return ContainerLookup{}, fmt.Errorf("pod %s/%s: %w", namespace, pod, ErrPodNotFound)
	}
	spec := rec.lastPod
	names := containerNames(spec)
	if container == "" {
		if len(spec.Spec.Containers) != 1 {
			return ContainerLookup{Containers: names}, fmt.Errorf("pod %s: %w", pod, ErrContainerChoice)
		}
		container = spec.Spec.Containers[0].Name
	}
	if !isSpecContainer(spec, container) {
		return ContainerLookup{Containers: names}, fmt.Errorf("container %s is not valid for pod %s: %w", container, pod, ErrPodNotFound)
	}
	out := ContainerLookup{Name: container, Containers: names}
	obs := rec.observed
	if obs == nil {
		return out, nil
	}
	sandboxID := ""
	if sb := obs.currentSandbox(); sb != nil {
		sandboxID = sb.ID
	}
	current := obs.latest(container, sandboxID)
	logDir := filepath.Join(translate.PodLogDir(k.node(), spec), container)
	if current != nil {
		out.ContainerID = current.ID
		out.Running = current.State == runtimeapi.ContainerState_CONTAINER_RUNNING
		out.LogPath = filepath.Join(logDir, strconv.Itoa(current.RestartCount)+".log")
	}
	if prev := lastTerminated(rec.status, obs, container); prev != nil {
		out.PreviousLogPath = filepath.Join(logDir, strconv.Itoa(prev.RestartCount)+".log")
	}
	return out, nil
}

// lastTerminated is the instance the pod's status shows as the container's
// last termination, as kubelet's --previous reads it: in a crash loop that
// is the instance that just died, not an older one (which may already be
// removed). status and obs are recorded together, so the ID is in obs.
func lastTerminated(status v1.PodStatus, obs *observedPod, name string) *observedContainer {
	statuses := append(append([]v1.ContainerStatus(nil), status.InitContainerStatuses...), status.ContainerStatuses...)
	for _, cs := range statuses {
		if cs.Name != name || cs.LastTerminationState.Terminated == nil {
			continue
		}
		_, id, _ := strings.Cut(cs.LastTerminationState.Terminated.ContainerID, "://")
		for i := range obs.Containers {
			if obs.Containers[i].ID == id {
				return &obs.Containers[i]
			}
		}
	}
	return nil
}

// liveRecord is the wanted pod with that name, or the one still
// terminating if none is wanted. Callers hold k.mu.
func (k *Kubelet) liveRecord(namespace, name string) *podRecord {
	var terminating *podRecord
	for _, rec := range k.pods {
		if rec.lastPod == nil || rec.lastPod.Namespace != namespace || rec.lastPod.Name != name {
			continue
		}
		if rec.desired != nil {
			return rec
		}
		terminating = rec
	}
	return terminating
}

func containerNames(pod *v1.Pod) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return names
}

// SandboxLookup is where a pod's network lives.
type SandboxLookup struct {
	SandboxID string
	PodIP     string
	Ports     []v1.ContainerPort
}

// LookupSandbox finds the ready sandbox of a pod, for port-forwarding.
func (k *Kubelet) LookupSandbox(namespace, pod string) (SandboxLookup, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	rec := k.liveRecord(namespace, pod)
	if rec == nil || rec.observed == nil {
		return SandboxLookup{}, fmt.Errorf("pod %s/%s: %w", namespace, pod, ErrPodNotFound)
	}
	sb := rec.observed.currentSandbox()
	if sb == nil || !sb.Ready {
		return SandboxLookup{}, fmt.Errorf("pod %s/%s has no running sandbox: %w", namespace, pod, ErrPodNotFound)
	}
	out := SandboxLookup{SandboxID: sb.ID}
	if len(sb.IPs) > 0 {
		out.PodIP = sb.IPs[0]
	}
	for _, c := range rec.lastPod.Spec.Containers {
		out.Ports = append(out.Ports, c.Ports...)
	}
	return out, nil
}
