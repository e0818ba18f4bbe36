package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// fakeRuntime is an in-memory CRI runtime for unit tests of the sync loop.
// Containers run until a test exits them.
type fakeRuntime struct {
	mu         sync.Mutex
	next       int
	sandboxes  map[string]*runtimeapi.PodSandbox
	containers map[string]*runtimeapi.ContainerStatus
	owners     map[string]string // container → sandbox
	images     map[string]bool
	pullErr    error
	calls      map[string]int
	// stopTimeouts are the grace periods StopContainer was given.
	stopTimeouts []int64
	// removeSandboxErr makes RemovePodSandbox of these sandboxes fail.
	removeSandboxErr map[string]error
	// mounts are the mounts of the last container created with each name.
	mounts map[string][]*runtimeapi.Mount
	// runSandboxErrs fail the next RunPodSandbox calls, one each;
	// failSandboxes fails every one. A failed call leaves a not-ready
	// sandbox behind, as containerd's half-made ones are listed.
	runSandboxErrs []error
	failSandboxes  error
	// envs are the env of the last container created with each name.
	envs map[string][]*runtimeapi.KeyValue
	// namespaces are the namespace options of the last container created
	// with each name.
	namespaces map[string]*runtimeapi.NamespaceOption
	// pullAuths are the credentials of each PullImage call, in order;
	// pullAuthErr, when set, decides each call's error from them.
	pullAuths   []*runtimeapi.AuthConfig
	pullAuthErr func(*runtimeapi.AuthConfig) error
	// stopGate, when set, holds StopContainer until it is closed, as a
	// container that takes its grace period to stop.
	stopGate chan struct{}
	// updateErr fails every UpdateContainerResources.
	updateErr error
	// stopLog records, in order, when each StopContainer began and ended
	// ("begin app", "end app"); stopDelay makes the named containers take
	// that long to stop.
	stopLog   []string
	stopDelay map[string]time.Duration
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{sandboxes: map[string]*runtimeapi.PodSandbox{}, containers: map[string]*runtimeapi.ContainerStatus{},
		owners: map[string]string{}, images: map[string]bool{}, calls: map[string]int{},
		mounts: map[string][]*runtimeapi.Mount{}, envs: map[string][]*runtimeapi.KeyValue{}, namespaces: map[string]*runtimeapi.NamespaceOption{}}
}

func (f *fakeRuntime) id(prefix string) string { f.next++; return fmt.Sprintf("%s%d", prefix, f.next) }

func notFound(id string) error { return status.Errorf(codes.NotFound, "%s not found", id) }

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (f *fakeRuntime) RunPodSandbox(_ context.Context, c *runtimeapi.PodSandboxConfig, _ string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["RunPodSandbox"]++
	err := f.failSandboxes
	if len(f.runSandboxErrs) > 0 {
		err, f.runSandboxErrs = f.runSandboxErrs[0], f.runSandboxErrs[1:]
	}
	id := f.id("sb")
	if err != nil {
		f.sandboxes[id] = &runtimeapi.PodSandbox{Id: id, Metadata: c.Metadata, State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
			CreatedAt: time.Now().UnixNano(), Labels: c.Labels, Annotations: c.Annotations}
		return "", err
	}
	f.sandboxes[id] = &runtimeapi.PodSandbox{Id: id, Metadata: c.Metadata, State: runtimeapi.PodSandboxState_SANDBOX_READY,
		CreatedAt: time.Now().UnixNano(), Labels: c.Labels, Annotations: c.Annotations}
	return id, nil
}

func (f *fakeRuntime) StopPodSandbox(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sandboxes[id]; ok {
		s.State = runtimeapi.PodSandboxState_SANDBOX_NOTREADY
		for cid, owner := range f.owners {
			if owner == id {
				f.exitLocked(cid, 137)
			}
		}
	}
	return nil
}

func (f *fakeRuntime) RemovePodSandbox(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.removeSandboxErr[id]; err != nil {
		return err
	}
	delete(f.sandboxes, id)
	for cid, owner := range f.owners {
		if owner == id {
			delete(f.containers, cid)
			delete(f.owners, cid)
		}
	}
	return nil
}

func (f *fakeRuntime) PodSandboxStatus(_ context.Context, id string, _ bool) (*runtimeapi.PodSandboxStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sandboxes[id]
	if !ok {
		return nil, notFound(id)
	}
	return &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{Id: id, State: s.State,
		Network: &runtimeapi.PodSandboxNetworkStatus{Ip: "10.88.0.9"}}}, nil
}

func (f *fakeRuntime) ListPodSandbox(_ context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*runtimeapi.PodSandbox
	for _, s := range f.sandboxes {
		if matches(s.Labels, filter.GetLabelSelector()) {
			out = append(out, proto.Clone(s).(*runtimeapi.PodSandbox))
		}
	}
	return out, nil
}

func (f *fakeRuntime) CreateContainer(_ context.Context, sandboxID string, c *runtimeapi.ContainerConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["CreateContainer"]++
	if _, ok := f.sandboxes[sandboxID]; !ok {
		return "", notFound(sandboxID)
	}
	id := f.id("c")
	f.containers[id] = &runtimeapi.ContainerStatus{Id: id, Metadata: c.Metadata, State: runtimeapi.ContainerState_CONTAINER_CREATED,
		CreatedAt: time.Now().UnixNano(), Image: c.Image, Labels: c.Labels, Annotations: c.Annotations, LogPath: c.LogPath,
		Resources: &runtimeapi.ContainerResources{Linux: c.GetLinux().GetResources()}}
	f.owners[id] = sandboxID
	f.mounts[c.GetMetadata().GetName()] = c.Mounts
	f.envs[c.GetMetadata().GetName()] = c.Envs
	f.namespaces[c.GetMetadata().GetName()] = c.GetLinux().GetSecurityContext().GetNamespaceOptions()
	return id, nil
}

// mountsOf returns the mounts the last container named name was created with.
func (f *fakeRuntime) mountsOf(name string) ([]*runtimeapi.Mount, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.mounts[name]
	return m, ok
}

func (f *fakeRuntime) StartContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["StartContainer"]++
	c, ok := f.containers[id]
	if !ok {
		return notFound(id)
	}
	c.State, c.StartedAt = runtimeapi.ContainerState_CONTAINER_RUNNING, time.Now().UnixNano()
	return nil
}

func (f *fakeRuntime) exitLocked(id string, code int32) {
	if c, ok := f.containers[id]; ok && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
		c.State, c.ExitCode, c.FinishedAt = runtimeapi.ContainerState_CONTAINER_EXITED, code, time.Now().UnixNano()
	}
}

// exit makes a running container of the given name exit with code.
func (f *fakeRuntime) exit(name string, code int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, c := range f.containers {
		if c.Labels[translate.ContainerNameLabel] == name && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			f.exitLocked(id, code)
		}
	}
}

func (f *fakeRuntime) StopContainer(ctx context.Context, id string, timeout int64) error {
	f.mu.Lock()
	gate := f.stopGate
	name := ""
	if c, ok := f.containers[id]; ok {
		name = c.Labels[translate.ContainerNameLabel]
	}
	delay := f.stopDelay[name]
	f.stopLog = append(f.stopLog, "begin "+name)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.stopLog = append(f.stopLog, "end "+name)
		f.mu.Unlock()
	}()
	time.Sleep(delay)
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["StopContainer"]++
	f.stopTimeouts = append(f.stopTimeouts, timeout)
	f.exitLocked(id, 143)
	return nil
}

func (f *fakeRuntime) RemoveContainer(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.containers, id)
	delete(f.owners, id)
	return nil
}

func (f *fakeRuntime) ListContainers(_ context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*runtimeapi.Container
	for id, c := range f.containers {
		if matches(c.Labels, filter.GetLabelSelector()) {
			out = append(out, &runtimeapi.Container{Id: id, PodSandboxId: f.owners[id], Metadata: c.Metadata, State: c.State,
				CreatedAt: c.CreatedAt, Labels: c.Labels, Annotations: c.Annotations})
		}
	}
	return out, nil
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		return nil, notFound(id)
	}
	return &runtimeapi.ContainerStatusResponse{Status: proto.Clone(c).(*runtimeapi.ContainerStatus)}, nil
}

// UpdateContainerResources changes what a container runs with, as its
// status then reports, as containerd's and CRI-O's do.
func (f *fakeRuntime) UpdateContainerResources(_ context.Context, id string, r *runtimeapi.ContainerResources) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["UpdateContainerResources"]++
	if f.updateErr != nil {
		return f.updateErr
	}
	c, ok := f.containers[id]
	if !ok {
		return notFound(id)
	}
	c.Resources = proto.Clone(r).(*runtimeapi.ContainerResources)
	return nil
}

func (f *fakeRuntime) ImageStatus(_ context.Context, image *runtimeapi.ImageSpec, _ bool) (*runtimeapi.ImageStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.images[image.Image] {
		return &runtimeapi.ImageStatusResponse{Image: &runtimeapi.Image{Id: image.Image}}, nil
	}
	return &runtimeapi.ImageStatusResponse{}, nil
}

func (f *fakeRuntime) PullImage(_ context.Context, image *runtimeapi.ImageSpec, auth *runtimeapi.AuthConfig, _ *runtimeapi.PodSandboxConfig) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["PullImage"]++
	f.pullAuths = append(f.pullAuths, auth)
	if f.pullErr != nil {
		return "", f.pullErr
	}
	if f.pullAuthErr != nil {
		if err := f.pullAuthErr(auth); err != nil {
			return "", err
		}
	}
	f.images[image.Image] = true
	return image.Image, nil
}

func (f *fakeRuntime) count(kind string) (sandboxes, containers int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sandboxes), len(f.containers)
}
