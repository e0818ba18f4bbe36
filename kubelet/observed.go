package kubelet

import (
	"sort"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// observedSandbox is what the runtime says about one of a pod's sandboxes.
type observedSandbox struct {
	ID        string
	Attempt   uint32
	Ready     bool
	CreatedAt time.Time
	IPs       []string
}

// observedContainer is what the runtime says about one container instance.
type observedContainer struct {
	ID           string
	SandboxID    string
	Name         string
	Type         translate.ContainerType
	Image        string
	ImageRef     string
	State        runtimeapi.ContainerState
	RestartCount int
	Hash         string
	// SpecHash is translate.ContainerSpecHash of the spec it was made
	// from; empty for a container made before the agent recorded it.
	SpecHash   string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	ExitCode   int32
	Reason     string
	Message    string
	LogPath    string
	// GracePeriod is the pod's termination grace period recorded on the
	// container, so a restarted agent stops it as gently as the spec said.
	GracePeriod int64
	// Resources are the cgroup settings it runs with: the runtime's
	// account, else what this agent last gave it; nil when neither knows.
	Resources *runtimeapi.LinuxContainerResources
}

// observedPod is the runtime's view of one pod, by UID: every sandbox and
// every container instance still known to the runtime.
type observedPod struct {
	Sandboxes  []observedSandbox   // newest first
	Containers []observedContainer // newest first
}

// currentSandbox is the newest sandbox, the one the pod's containers belong in.
func (o *observedPod) currentSandbox() *observedSandbox {
	if len(o.Sandboxes) == 0 {
		return nil
	}
	return &o.Sandboxes[0]
}

// latest returns the newest instance of the named container in the given
// sandbox, or nil.
func (o *observedPod) latest(name, sandboxID string) *observedContainer {
	for i := range o.Containers {
		c := &o.Containers[i]
		if c.Name == name && c.SandboxID == sandboxID {
			return c
		}
	}
	return nil
}

// newest returns the newest instance of the named container in any
// sandbox, or nil.
func (o *observedPod) newest(name string) *observedContainer {
	for i := range o.Containers {
		if o.Containers[i].Name == name {
			return &o.Containers[i]
		}
	}
	return nil
}

// nextRestartCount continues a container's restart count across instances
// and sandboxes, as the kubelet does.
func (o *observedPod) nextRestartCount(name string) int {
	next := 0
	for _, c := range o.Containers {
		if c.Name == name && c.RestartCount+1 > next {
			next = c.RestartCount + 1
		}
	}
	return next
}

func (o *observedPod) sortNewestFirst() {
	sort.SliceStable(o.Sandboxes, func(i, j int) bool {
		a, b := o.Sandboxes[i], o.Sandboxes[j]
		if a.Attempt != b.Attempt {
			return a.Attempt > b.Attempt
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
	sort.SliceStable(o.Containers, func(i, j int) bool {
		a, b := o.Containers[i], o.Containers[j]
		if a.RestartCount != b.RestartCount {
			return a.RestartCount > b.RestartCount
		}
		return a.CreatedAt.After(b.CreatedAt)
	})
}

func observedFromContainerStatus(s *runtimeapi.ContainerStatus, sandboxID string) observedContainer {
	labels, annotations := s.GetLabels(), s.GetAnnotations()
	restarts, _ := strconv.Atoi(annotations[translate.ContainerRestartCountAnnotation])
	return observedContainer{
		ID:           s.GetId(),
		SandboxID:    sandboxID,
		Name:         labels[translate.ContainerNameLabel],
		Type:         translate.ContainerType(labels[translate.ContainerTypeLabel]),
		Image:        s.GetImage().GetImage(),
		ImageRef:     s.GetImageRef(),
		State:        s.GetState(),
		RestartCount: restarts,
		Hash:         annotations[translate.ContainerHashAnnotation],
		SpecHash:     annotations[translate.ContainerSpecHashAnnotation],
		CreatedAt:    unixNanoTime(s.GetCreatedAt()),
		StartedAt:    unixNanoTime(s.GetStartedAt()),
		FinishedAt:   unixNanoTime(s.GetFinishedAt()),
		ExitCode:     s.GetExitCode(),
		Reason:       s.GetReason(),
		Message:      s.GetMessage(),
		LogPath:      s.GetLogPath(),
		GracePeriod:  parseGrace(annotations),
		Resources:    s.GetResources().GetLinux(),
	}
}

func observedFromContainer(c *runtimeapi.Container) observedContainer {
	labels, annotations := c.GetLabels(), c.GetAnnotations()
	restarts, _ := strconv.Atoi(annotations[translate.ContainerRestartCountAnnotation])
	return observedContainer{
		ID:           c.GetId(),
		SandboxID:    c.GetPodSandboxId(),
		Name:         labels[translate.ContainerNameLabel],
		Type:         translate.ContainerType(labels[translate.ContainerTypeLabel]),
		Image:        c.GetImage().GetImage(),
		ImageRef:     c.GetImageRef(),
		State:        c.GetState(),
		RestartCount: restarts,
		Hash:         annotations[translate.ContainerHashAnnotation],
		SpecHash:     annotations[translate.ContainerSpecHashAnnotation],
		CreatedAt:    unixNanoTime(c.GetCreatedAt()),
		GracePeriod:  parseGrace(annotations),
	}
}

// parseGrace reads the grace period an earlier agent recorded on a
// container, clamped: the annotation may predate the clamp, or be edited.
func parseGrace(annotations map[string]string) int64 {
	grace, err := strconv.ParseInt(annotations[translate.PodTerminationGraceAnnotation], 10, 64)
	if err != nil {
		return translate.MinGracePeriodSeconds
	}
	return translate.ClampGrace(grace)
}

func unixNanoTime(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// specChanged says a container was made from another spec than spec, its
// resources aside (they change in place, planResize). A container made
// before the agent recorded SpecHash is judged by its whole spec.
func specChanged(c *observedContainer, spec *v1.Container) bool {
	if c.SpecHash != "" {
		return c.SpecHash != translate.ContainerSpecHash(spec)
	}
	return c.Hash != "" && c.Hash != translate.ContainerHash(spec)
}
