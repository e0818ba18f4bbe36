package agent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// blockingStatus answers Status only when released, counting calls.
type blockingStatus struct {
	calls   atomic.Int32
	release chan struct{}
	ready   bool
}

func (b *blockingStatus) Status(ctx context.Context, _ bool) (*runtimeapi.StatusResponse, error) {
	b.calls.Add(1)
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.NetworkReady, Status: b.ready, Reason: "NetworkPluginNotReady"},
	}}}, nil
}

// A hung runtime must not queue health checks: each caller gives up when
// its own context ends, and concurrent callers share one Status call.
func TestReadinessCallersShareOneCallAndStopWithTheirContext(t *testing.T) {
	runtime := &blockingStatus{release: make(chan struct{})}
	r := newReadiness(runtime)

	var wg sync.WaitGroup
	errs := make([]error, 10)
	start := time.Now()
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			errs[i] = r.check(ctx)
		}()
	}
	wg.Wait()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("10 health checks against a hung runtime took %s; each should end with its own 100ms context", took)
	}
	for _, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("check = %v, want its context's deadline", err)
		}
	}
	if n := runtime.calls.Load(); n != 1 {
		t.Errorf("%d Status calls for 10 concurrent checks, want 1 shared", n)
	}
	close(runtime.release)
}

func TestReadinessReusesAGoodAnswerButNotABadOne(t *testing.T) {
	runtime := &blockingStatus{release: make(chan struct{})}
	close(runtime.release)
	r := newReadiness(runtime)
	ctx := context.Background()
	if err := r.check(ctx); err == nil {
		t.Fatal("not-ready network reported ready")
	}
	runtime.ready = true
	if err := r.check(ctx); err != nil {
		t.Fatalf("network became ready, check = %v", err)
	}
	r.check(ctx)
	if n := runtime.calls.Load(); n != 2 {
		t.Errorf("%d Status calls, want 2 (the good answer reused)", n)
	}
}

// A CNI plugin gone from the bin directory makes the network not ready,
// with the plugin's error, however recently the runtime said it was
// ready; it counts as soon as the plugin is back.
func TestReadinessAsksForThePluginsEveryTime(t *testing.T) {
	runtime := &blockingStatus{release: make(chan struct{}), ready: true}
	close(runtime.release)
	r := newReadiness(runtime)
	missing := errors.New(`CNI plugin "bridge" not found in /opt/cni/bin: install containernetworking-plugins or set --cni-bin-dir`)
	var pluginErr error
	r.setPlugins(func() error { return pluginErr })
	if err := r.check(context.Background()); err != nil {
		t.Fatalf("ready runtime, plugins present: %v", err)
	}
	pluginErr = missing
	if err := r.check(context.Background()); !errors.Is(err, missing) {
		t.Fatalf("plugin gone: %v, want its error despite a fresh ready answer", err)
	}
	pluginErr = nil
	if err := r.check(context.Background()); err != nil {
		t.Fatalf("plugin back: %v", err)
	}
}
