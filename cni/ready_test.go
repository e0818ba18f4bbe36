package cni

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type fakeStatus struct {
	mu        sync.Mutex
	responses []*runtimeapi.StatusResponse // served in order, the last repeats
	err       error
	calls     int
}

func networkCondition(ready bool, reason, message string) *runtimeapi.StatusResponse {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: ready, Reason: reason, Message: message},
	}}}
}

func (f *fakeStatus) Status(ctx context.Context, _ bool) (*runtimeapi.StatusResponse, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("Status called without a deadline")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	resp := f.responses[min(f.calls, len(f.responses))-1]
	return resp, nil
}

func TestCheckNetworkReadyReturnsRuntimeReason(t *testing.T) {
	runtime := &fakeStatus{responses: []*runtimeapi.StatusResponse{
		networkCondition(false, "NetworkPluginNotReady", "cni plugin not initialized"),
	}}
	err := CheckNetworkReady(context.Background(), runtime, time.Second)
	var notReady *NetworkNotReadyError
	if !errors.As(err, &notReady) {
		t.Fatalf("got %v", err)
	}
	if notReady.Reason != "NetworkPluginNotReady" || notReady.Message != "cni plugin not initialized" {
		t.Fatalf("got %+v", notReady)
	}
}

func TestCheckNetworkReadyWhenReady(t *testing.T) {
	runtime := &fakeStatus{responses: []*runtimeapi.StatusResponse{networkCondition(true, "", "")}}
	if err := CheckNetworkReady(context.Background(), runtime, time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestCheckNetworkReadyWithoutCondition(t *testing.T) {
	runtime := &fakeStatus{responses: []*runtimeapi.StatusResponse{{Status: &runtimeapi.RuntimeStatus{}}}}
	var notReady *NetworkNotReadyError
	if err := CheckNetworkReady(context.Background(), runtime, time.Second); !errors.As(err, &notReady) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckNetworkReadyCallFailure(t *testing.T) {
	runtime := &fakeStatus{err: errors.New("connection refused")}
	err := CheckNetworkReady(context.Background(), runtime, time.Second)
	var notReady *NetworkNotReadyError
	if err == nil || errors.As(err, &notReady) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got %v", err)
	}
}

func TestWaitNetworkReadyPollsUntilReady(t *testing.T) {
	runtime := &fakeStatus{responses: []*runtimeapi.StatusResponse{
		networkCondition(false, "NetworkPluginNotReady", "no config"),
		networkCondition(false, "NetworkPluginNotReady", "no config"),
		networkCondition(true, "", ""),
	}}
	if err := WaitNetworkReady(context.Background(), runtime, time.Millisecond, time.Second); err != nil {
		t.Fatal(err)
	}
	if runtime.calls != 3 {
		t.Fatalf("%d Status calls, want 3", runtime.calls)
	}
}

func TestWaitNetworkReadyGivesLastReasonOnTimeout(t *testing.T) {
	runtime := &fakeStatus{responses: []*runtimeapi.StatusResponse{
		networkCondition(false, "NetworkPluginNotReady", "cni config uninitialized"),
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := WaitNetworkReady(ctx, runtime, time.Millisecond, time.Second)
	var notReady *NetworkNotReadyError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &notReady) || notReady.Message != "cni config uninitialized" {
		t.Fatalf("got %v", err)
	}
}
