package cri

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeRuntime is a minimal in-process CRI server for unit tests. RPCs it
// does not override answer Unimplemented.
type fakeRuntime struct {
	runtimeapi.UnimplementedRuntimeServiceServer

	apiVersion   string
	hang         bool // StartContainer and ListContainers wait for ctx
	noEvents     bool // GetContainerEvents answers Unimplemented
	events       []*runtimeapi.ContainerEventResponse
	execExitCode int32
	listCode     codes.Code // ListContainers fails with it unless OK
	// notReadyFor makes the first Version calls fail as containerd's does
	// while its CRI service starts.
	notReadyFor int
	// versionHangs makes Version calls after those wait for ctx.
	versionHangs bool

	mu      sync.Mutex
	budgets map[string]time.Duration // deadline left when each RPC arrived
	// stopTimeout is the Timeout of the last StopContainer request.
	stopTimeout int64
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{apiVersion: "v1", budgets: map[string]time.Duration{}}
}

// noteBudget records how long the caller allowed for the RPC.
func (f *fakeRuntime) noteBudget(ctx context.Context, rpc string) {
	deadline, ok := ctx.Deadline()
	f.mu.Lock()
	defer f.mu.Unlock()
	if ok {
		f.budgets[rpc] = time.Until(deadline)
	}
}

func (f *fakeRuntime) budget(t *testing.T, rpc string) time.Duration {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	got, ok := f.budgets[rpc]
	if !ok {
		t.Fatalf("%s arrived without a deadline (or never arrived)", rpc)
	}
	return got
}

func (f *fakeRuntime) Version(ctx context.Context, _ *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.notReadyFor > 0 {
		f.notReadyFor--
		return nil, status.Error(codes.Unknown, "server is not initialized yet")
	}
	if f.versionHangs {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &runtimeapi.VersionResponse{RuntimeName: "fake", RuntimeVersion: "0.0.1", RuntimeApiVersion: f.apiVersion}, nil
}

func (f *fakeRuntime) StartContainer(ctx context.Context, _ *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	if f.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &runtimeapi.StartContainerResponse{}, nil
}

func (f *fakeRuntime) ListContainers(ctx context.Context, _ *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f.noteBudget(ctx, "ListContainers")
	if f.listCode != codes.OK {
		return nil, status.Error(f.listCode, "injected by the test")
	}
	if f.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{{Id: "c1"}}}, nil
}

func (f *fakeRuntime) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	f.noteBudget(ctx, "StopContainer")
	f.mu.Lock()
	f.stopTimeout = req.GetTimeout()
	f.mu.Unlock()
	return &runtimeapi.StopContainerResponse{}, nil
}

func (f *fakeRuntime) RemoveContainer(ctx context.Context, _ *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	f.noteBudget(ctx, "RemoveContainer")
	return &runtimeapi.RemoveContainerResponse{}, nil
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	// containerd's wording for an unknown container.
	return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", req.GetContainerId())
}

func (f *fakeRuntime) ExecSync(ctx context.Context, _ *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	f.noteBudget(ctx, "ExecSync")
	return &runtimeapi.ExecSyncResponse{Stdout: []byte("out"), Stderr: []byte("err"), ExitCode: f.execExitCode}, nil
}

func (f *fakeRuntime) GetContainerEvents(_ *runtimeapi.GetEventsRequest, stream runtimeapi.RuntimeService_GetContainerEventsServer) error {
	if f.noEvents {
		return status.Error(codes.Unimplemented, "method GetContainerEvents not implemented")
	}
	for _, event := range f.events {
		if err := stream.Send(event); err != nil {
			return err
		}
	}
	if f.hang {
		<-stream.Context().Done()
	}
	return nil
}

// fakeImages is the image half of the fake runtime.
type fakeImages struct {
	runtimeapi.UnimplementedImageServiceServer
	runtime *fakeRuntime
}

func (f *fakeImages) PullImage(ctx context.Context, _ *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	f.runtime.noteBudget(ctx, "PullImage")
	return &runtimeapi.PullImageResponse{ImageRef: "sha256:0123"}, nil
}

// socketIn returns a socket path in a fresh temporary directory.
func socketIn(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}

// serve starts the fake on a unix socket at path and stops it when the test
// ends. The returned function stops it early.
func serve(t *testing.T, path string, fake *fakeRuntime) (stop func()) {
	t.Helper()
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("listening on %s: %v", path, err)
	}
	server := grpc.NewServer()
	if fake != nil {
		runtimeapi.RegisterRuntimeServiceServer(server, fake)
		runtimeapi.RegisterImageServiceServer(server, &fakeImages{runtime: fake})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = server.Serve(listener)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			server.Stop()
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// dial connects to the fake at path with short timeouts and closes the
// client when the test ends.
func dial(t *testing.T, path string, cfg Config) *Client {
	t.Helper()
	cfg.Endpoint = path
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	client, err := Dial(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Dial(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = client.Close(context.Background()) })
	return client
}

// recordingObserver keeps every operation it is told about.
type recordingObserver struct {
	mu         sync.Mutex
	operations []string
	errs       []error
}

func (o *recordingObserver) ObserveOperation(operation string, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.operations = append(o.operations, operation)
	o.errs = append(o.errs, err)
}
