package logs

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is wrapped by a ContainerLocator's error when the pod or the
// container does not exist; the HTTP handler answers 404 for it.
var ErrNotFound = errors.New("not found")

// ContainerLocator resolves the container whose log a request asks for.
// The agent implements it from its pod state.
type ContainerLocator interface {
	// LocateContainer resolves a container of a pod. An empty container
	// name means the pod's only container; for a pod with several it
	// returns a *ContainerChoiceError. An unknown pod or container gives
	// an error wrapping ErrNotFound.
	LocateContainer(ctx context.Context, namespace, pod, container string) (ContainerLogInfo, error)
}

// ContainerLogInfo is what the log handler needs to know about a container.
type ContainerLogInfo struct {
	// Name is the container's name in the pod spec.
	Name string
	// ContainerID is the runtime ID of the current instance, "" if none.
	ContainerID string
	// LogPath is the current instance's live log file,
	// "/var/log/pods/<ns>_<pod>_<uid>/<container>/<restartCount>.log";
	// "" if the container has not been created yet.
	LogPath string
	// PreviousLogPath is the log of instance restartCount-1, "" if none.
	PreviousLogPath string
	// Running reports whether the current instance runs; a follow of a
	// stopped instance ends after its last line.
	Running bool
	// Containers lists every container name of the pod in spec order.
	Containers []string
}

// ContainerChoiceError says that a pod has several containers and the
// request did not name one. Its message is kubectl's.
type ContainerChoiceError struct {
	// Pod is the pod's name; Containers its container names in spec order.
	Pod        string
	Containers []string
}

// Error implements error.
func (e *ContainerChoiceError) Error() string {
	return fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", e.Pod, strings.Join(e.Containers, " "))
}
