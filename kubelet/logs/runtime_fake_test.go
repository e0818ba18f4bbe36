package logs

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeRuntime plays a CRI runtime writing one container's log: writes are
// serialised with reopens, as in containerd, so a record goes wholly to the
// old or the new file.
type fakeRuntime struct {
	id, path string

	mu      sync.Mutex
	file    *os.File
	running atomic.Bool
	reopens atomic.Int32

	failReopen atomic.Bool
	// removed makes ContainerStatus answer NotFound, as for a container
	// removed after the list that named it.
	removed     atomic.Bool
	statusCalls atomic.Int32
	lastFilter  *runtimeapi.ContainerFilter
	// onReopen, if set, runs when the rotator asks for a reopen: after it
	// removed stale temporary files and before it compresses, the moment a
	// container racing it would plant a link.
	onReopen func()
}

func newFakeRuntime(path string) (*fakeRuntime, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	r := &fakeRuntime{id: "c0ffee", path: path, file: f}
	r.running.Store(true)
	return r, nil
}

// write appends records to the current log file.
func (r *fakeRuntime) write(records string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := r.file.WriteString(records)
	return err
}

func (r *fakeRuntime) stop() {
	r.running.Store(false)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.file.Close()
}

func (r *fakeRuntime) isRunning(context.Context) (bool, error) { return r.running.Load(), nil }

func (r *fakeRuntime) ListContainers(_ context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	r.mu.Lock()
	r.lastFilter = filter
	r.mu.Unlock()
	state := runtimeapi.ContainerState_CONTAINER_EXITED
	if r.running.Load() {
		state = runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	if filter.GetState() != nil && filter.GetState().GetState() != state {
		return nil, nil
	}
	return []*runtimeapi.Container{{Id: r.id, State: state, Metadata: &runtimeapi.ContainerMetadata{Name: "app"}}}, nil
}

func (r *fakeRuntime) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	r.statusCalls.Add(1)
	if id != r.id {
		return nil, errors.New("no such container")
	}
	if r.removed.Load() {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", id)
	}
	return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: id, LogPath: r.path}}, nil
}

func (r *fakeRuntime) ReopenContainerLog(_ context.Context, id string) error {
	if r.failReopen.Load() {
		return errors.New("reopen refused")
	}
	if !r.running.Load() {
		return errors.New("container is not running")
	}
	if r.onReopen != nil {
		r.onReopen()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	r.file.Close()
	r.file = f
	r.reopens.Add(1)
	return nil
}

var _ RuntimeService = (*fakeRuntime)(nil)
