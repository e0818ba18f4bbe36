package cni

import (
	"context"
	"fmt"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// StatusReader is the one CRI call readiness needs; its signature matches
// k8s.io/cri-api/pkg/apis.RuntimeService.
type StatusReader interface {
	Status(ctx context.Context, verbose bool) (*runtimeapi.StatusResponse, error)
}

// NetworkNotReadyError carries the runtime's own explanation of why its pod
// network is not ready, so the agent can show NetworkNotReady with why.
type NetworkNotReadyError struct {
	// Reason is the runtime's machine-readable reason, e.g.
	// "NetworkPluginNotReady".
	Reason string
	// Message is the runtime's human-readable explanation.
	Message string
}

// Error gives the runtime's reason and message.
func (e *NetworkNotReadyError) Error() string {
	if e.Reason == "" && e.Message == "" {
		return "runtime network is not ready (the runtime gave no reason)"
	}
	return fmt.Sprintf("runtime network is not ready: %s: %s", e.Reason, e.Message)
}

// CheckNetworkReady asks the runtime once. It returns nil when the runtime
// reports NetworkReady, a *NetworkNotReadyError when it reports otherwise,
// and a wrapped error when the call itself fails.
func CheckNetworkReady(ctx context.Context, runtime StatusReader, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultCRITimeout
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := runtime.Status(callCtx, false)
	if err != nil {
		return fmt.Errorf("asking the runtime for its network status: %w", err)
	}
	for _, condition := range resp.GetStatus().GetConditions() {
		if condition.GetType() != runtimeapi.NetworkReady {
			continue
		}
		if condition.GetStatus() {
			return nil
		}
		return &NetworkNotReadyError{Reason: condition.GetReason(), Message: condition.GetMessage()}
	}
	return &NetworkNotReadyError{Reason: "NoNetworkCondition", Message: "the runtime status has no NetworkReady condition"}
}

// WaitNetworkReady polls CheckNetworkReady every interval until the network
// is ready or ctx ends; then it returns the last reason it was not ready,
// wrapped with the context error.
func WaitNetworkReady(ctx context.Context, runtime StatusReader, interval, timeout time.Duration) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		err := CheckNetworkReady(ctx, runtime, timeout)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the runtime network: %w (last: %w)", ctx.Err(), err)
		case <-ticker.C:
		}
	}
}
