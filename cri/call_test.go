package cri

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestCallTimeoutEndsHungCall(t *testing.T) {
	path := socketIn(t, "hang.sock")
	fake := newFakeRuntime()
	fake.hang = true
	serve(t, path, fake)
	client := dial(t, path, Config{CallTimeout: 200 * time.Millisecond})

	start := time.Now()
	err := client.StartContainer(context.Background(), "c1")
	took := time.Since(start)
	if status.Code(err) != codes.DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StartContainer on a hung runtime = %v, want DeadlineExceeded", err)
	}
	if took > 3*time.Second {
		t.Errorf("StartContainer returned after %s, want about the 200ms call timeout", took)
	}
	want := "start container c1: the runtime at unix://" + path + " did not answer within 200ms (DeadlineExceeded)"
	if err.Error() != want {
		t.Errorf("error =\n  %s\nwant\n  %s", err, want)
	}
}

func TestListTimeoutEndsHungList(t *testing.T) {
	path := socketIn(t, "hang.sock")
	fake := newFakeRuntime()
	fake.hang = true
	serve(t, path, fake)
	client := dial(t, path, Config{CallTimeout: time.Hour, ListTimeout: 200 * time.Millisecond})

	start := time.Now()
	_, err := client.ListContainers(context.Background(), nil)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("ListContainers on a hung runtime = %v, want DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("ListContainers returned after %s, want about the 200ms list timeout", took)
	}
}

func TestCallerCancelIsReportedAsSuch(t *testing.T) {
	path := socketIn(t, "hang.sock")
	fake := newFakeRuntime()
	fake.hang = true
	serve(t, path, fake)
	client := dial(t, path, Config{})

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := client.StartContainer(ctx, "c1")
	if status.Code(err) != codes.Canceled || !errors.Is(err, context.Canceled) {
		t.Fatalf("StartContainer after cancel = %v, want Canceled", err)
	}
	if !strings.Contains(err.Error(), "canceled by the caller") {
		t.Errorf("error %q should say the caller canceled", err)
	}
}

// TestCallBudgets checks the deadline each call carries to the runtime.
func TestCallBudgets(t *testing.T) {
	path := socketIn(t, "budget.sock")
	fake := newFakeRuntime()
	serve(t, path, fake)
	client := dial(t, path, Config{CallTimeout: time.Minute, ListTimeout: 20 * time.Second, PullTimeout: 7 * time.Minute})

	tests := []struct {
		name       string
		callerTime time.Duration // zero: no caller deadline
		do         func(ctx context.Context) error
		rpc        string
		want       time.Duration
	}{
		{"stop adds grace to call timeout", 0, func(ctx context.Context) error {
			return client.StopContainer(ctx, "c1", 30)
		}, "StopContainer", 90 * time.Second},
		{"remove uses call timeout", 0, func(ctx context.Context) error {
			return client.RemoveContainer(ctx, "c1")
		}, "RemoveContainer", time.Minute},
		{"list uses list timeout", 0, func(ctx context.Context) error {
			_, err := client.ListContainers(ctx, nil)
			return err
		}, "ListContainers", 20 * time.Second},
		{"pull uses pull timeout", 0, func(ctx context.Context) error {
			_, err := client.PullImage(ctx, &runtimeapi.ImageSpec{Image: "kubia"}, nil, nil)
			return err
		}, "PullImage", 7 * time.Minute},
		{"exec adds command timeout to call timeout", 0, func(ctx context.Context) error {
			_, _, err := client.ExecSync(ctx, "c1", []string{"true"}, 5*time.Second)
			return err
		}, "ExecSync", time.Minute + 5*time.Second},
		{"shorter caller deadline wins", 3 * time.Second, func(ctx context.Context) error {
			return client.StopContainer(ctx, "c1", 30)
		}, "StopContainer", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.callerTime > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.callerTime)
				defer cancel()
			}
			if err := tt.do(ctx); err != nil {
				t.Fatal(err)
			}
			got := fake.budget(t, tt.rpc)
			if got > tt.want || got < tt.want-2*time.Second {
				t.Errorf("%s reached the runtime with %s left, want about %s", tt.rpc, got.Round(time.Millisecond), tt.want)
			}
		})
	}
}

func TestObserverSeesEveryCallWithKubeletNames(t *testing.T) {
	path := socketIn(t, "observe.sock")
	serve(t, path, newFakeRuntime())
	observer := &recordingObserver{}
	client := dial(t, path, Config{Observer: observer})
	ctx := context.Background()

	_ = client.RemoveContainer(ctx, "c1")
	_, _ = client.ContainerStatus(ctx, "gone", false)
	_, _ = client.PullImage(ctx, &runtimeapi.ImageSpec{Image: "kubia"}, nil, nil)
	_, _ = client.ListPodSandbox(ctx, nil) // the fake does not implement it

	wantOps := []string{"version", "remove_container", "container_status", "pull_image", "list_podsandbox"}
	if !reflect.DeepEqual(observer.operations, wantOps) {
		t.Errorf("observed operations %v, want %v", observer.operations, wantOps)
	}
	wantCodes := []codes.Code{codes.OK, codes.OK, codes.NotFound, codes.OK, codes.Unimplemented}
	for i, err := range observer.errs {
		if i < len(wantCodes) && status.Code(err) != wantCodes[i] {
			t.Errorf("operation %s observed with error %v, want code %s", observer.operations[i], err, wantCodes[i])
		}
	}
}

func TestNotFoundStaysInspectable(t *testing.T) {
	path := socketIn(t, "notfound.sock")
	serve(t, path, newFakeRuntime())
	client := dial(t, path, Config{})

	_, err := client.ContainerStatus(context.Background(), "gone", false)
	if !IsNotFound(err) {
		t.Fatalf("IsNotFound(%v) = false", err)
	}
	wrapped := wrapTwice(err)
	if !IsNotFound(wrapped) || status.Code(wrapped) != codes.NotFound {
		t.Errorf("the code is lost once a caller wraps the error: %v", wrapped)
	}
	var criErr *Error
	if !errors.As(wrapped, &criErr) || criErr.Operation != "container_status" || criErr.Subject != "gone" {
		t.Errorf("errors.As(*cri.Error) = %+v", criErr)
	}
	want := `container status gone: an error occurred when try to find container "gone": not found (NotFound)`
	if err.Error() != want {
		t.Errorf("error =\n  %s\nwant\n  %s", err, want)
	}
	if IsNotFound(errors.New("not found")) || IsNotFound(nil) {
		t.Error("IsNotFound matches errors without a NotFound code")
	}
}

// wrapTwice wraps err the way callers up the stack will.
func wrapTwice(err error) error {
	return fmt.Errorf("syncing pod web: %w", fmt.Errorf("killing container app: %w", err))
}

func TestUnavailableRuntimeErrorHasNoGRPCInternals(t *testing.T) {
	path := socketIn(t, "gone.sock")
	stop := serve(t, path, newFakeRuntime())
	client := dial(t, path, Config{})
	stop()

	_, err := client.ListContainers(context.Background(), nil)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("ListContainers after the runtime went away = %v, want Unavailable", err)
	}
	for _, noise := range []string{"rpc error", "desc =", "transport:", "Error while dialing"} {
		if strings.Contains(err.Error(), noise) {
			t.Errorf("error %q contains gRPC internals %q", err, noise)
		}
	}
	if !strings.HasPrefix(err.Error(), "list containers: runtime at unix://"+path+" is unavailable: ") {
		t.Errorf("error %q should say which runtime is unavailable", err)
	}
}

func TestExecSyncNonZeroExit(t *testing.T) {
	path := socketIn(t, "exec.sock")
	fake := newFakeRuntime()
	fake.execExitCode = 3
	serve(t, path, fake)
	client := dial(t, path, Config{})

	stdout, stderr, err := client.ExecSync(context.Background(), "c1", []string{"false"}, 0)
	var exitErr *ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode != 3 {
		t.Fatalf("ExecSync of a failing command = %v, want *ExitError with code 3", err)
	}
	if string(stdout) != "out" || string(stderr) != "err" {
		t.Errorf("ExecSync output = %q, %q; want the command's output alongside the error", stdout, stderr)
	}
}

func TestCleanMessage(t *testing.T) {
	tests := map[string]string{
		`connection error: desc = "transport: Error while dialing: dial unix /run/x.sock: connect: no such file or directory"`: "dial unix /run/x.sock: connect: no such file or directory",
		`failed to pull: rpc error: code = NotFound desc = image not found`:                                                    "failed to pull: image not found",
		`container "abc" is not running`: `container "abc" is not running`,
		``:                               "no message from the runtime",
	}
	for in, want := range tests {
		if got := cleanMessage(in); got != want {
			t.Errorf("cleanMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCallerDeadlineIsReportedAsSuch(t *testing.T) {
	path := socketIn(t, "hang.sock")
	fake := newFakeRuntime()
	fake.hang = true
	serve(t, path, fake)
	client := dial(t, path, Config{CallTimeout: time.Hour})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := client.StartContainer(ctx, "c1")
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "the caller's deadline passed") {
		t.Fatalf("StartContainer past the caller's deadline = %v, want DeadlineExceeded blaming the caller's deadline", err)
	}
}
