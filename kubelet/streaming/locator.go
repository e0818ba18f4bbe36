package streaming

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Errors a ContainerLocator wraps, each answered as the kubelet and
// kube-apiserver answer it.
var (
	// ErrPodNotFound: the node has no such pod (404).
	ErrPodNotFound = errors.New("pod not found")
	// ErrNoSuchContainer: the pod's spec has no container of that name
	// (400, "container X is not valid for pod Y").
	ErrNoSuchContainer = errors.New("no such container in the pod's spec")
	// ErrContainerChoice: no container was named and the pod has several
	// (400, "a container name must be specified ...").
	ErrContainerChoice = errors.New("a container name must be specified")
)

// ContainerLocator finds a container of a pod; the agent implements it
// from the sync loop's state.
type ContainerLocator interface {
	// Container finds the container by name; "" means the pod's only app
	// container. On ErrNoSuchContainer and ErrContainerChoice the returned
	// Container still lists the pod's containers.
	Container(ctx context.Context, namespace, pod, container string) (Container, error)
}

// Container is what exec and attach need to know about a container.
type Container struct {
	// Name is the container's name in the pod spec.
	Name string
	// ID is the runtime's ID of its current instance; "" if it has none.
	ID string
	// Running says that instance is running: only a running container
	// can be joined.
	Running bool
	// PodUID is the pod's UID, checked against a {uid} route.
	PodUID types.UID
	// Containers lists the pod's app containers, and InitContainers its
	// init containers, for the error that asks for a choice.
	Containers, InitContainers []string
}

// Runtime is the CRI calls the handler makes; *cri.Client implements it.
type Runtime interface {
	Exec(ctx context.Context, request *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error)
	Attach(ctx context.Context, request *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error)
}
