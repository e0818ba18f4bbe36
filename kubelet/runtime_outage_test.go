package kubelet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// listCountingRuntime counts the list calls the relister and the workers
// make, on top of the fake's own counts.
type listCountingRuntime struct {
	*fakeRuntime
	lists atomic.Int64
}

func (r *listCountingRuntime) ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	r.lists.Add(1)
	return r.fakeRuntime.ListPodSandbox(ctx, filter)
}

func (r *listCountingRuntime) ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	r.lists.Add(1)
	return r.fakeRuntime.ListContainers(ctx, filter)
}

// TestSyncLoopWaitsForAnAbsentRuntimeInsteadOfCallingIt: while the runtime
// is known to be down, neither the relister nor a pod's worker calls it;
// once it is back, the pod written meanwhile runs.
func TestSyncLoopWaitsForAnAbsentRuntimeInsteadOfCallingIt(t *testing.T) {
	rt := &listCountingRuntime{fakeRuntime: newFakeRuntime()}
	back := make(chan struct{})
	dir := t.TempDir()
	k, err := New(Config{Runtime: rt, Images: rt, RuntimeName: "fake", RootDir: dir + "/root", PodLogDir: dir + "/logs",
		ResolvConf: dir + "/none", RelistPeriod: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		WaitRuntime: func(ctx context.Context) error {
			select {
			case <-back:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	k.SetSourcePods(SourceUpdate{Source: SourceFile, Pods: []DesiredPod{{Pod: testPod(v1.RestartPolicyAlways, nil, "a"), File: "/m/web.yaml"}}})

	time.Sleep(300 * time.Millisecond) // 30 relist periods
	if n := rt.lists.Load(); n != 0 {
		t.Fatalf("the sync loop called the runtime %d times while it was down, want it to wait", n)
	}
	close(back)
	eventually(t, "the pod written during the outage to run", func() bool {
		phase, p := viewPhase(k, "web")
		return phase == v1.PodRunning && allContainersRunning(p.Status)
	})
}

func TestWarnUnlessOutage(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{status.Error(codes.Unavailable, "connection refused"), "level=DEBUG"},
		{fmt.Errorf("listing sandboxes: %w", status.Error(codes.Unavailable, "EOF")), "level=DEBUG"},
		{status.Error(codes.Unknown, "failed to create shim task"), "level=WARN"},
		{errors.New("creating pod directory: permission denied"), "level=WARN"},
		{fmt.Errorf("writing the pod's /etc/hosts: %w", &os.PathError{Op: "write", Path: "/x/etc-hosts", Err: syscall.ENOSPC}), "level=DEBUG"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		warnUnlessOutage(log, c.err, "relist failed; will retry", "pod", "default/web")
		if line := buf.String(); !strings.HasPrefix(strings.Fields(line)[1], c.want) || !strings.Contains(line, "pod=default/web") {
			t.Errorf("warnUnlessOutage(%v) logged %q, want %s with the attributes", c.err, line, c.want)
		}
	}
}
