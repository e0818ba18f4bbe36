package cri

import (
	"context"
	"fmt"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// RunPodSandbox creates and starts a pod sandbox (network namespace, pause
// container, CNI setup) and returns its ID.
func (c *Client) RunPodSandbox(ctx context.Context, config *runtimeapi.PodSandboxConfig, runtimeHandler string) (string, error) {
	resp, err := call(ctx, c, opRunPodSandbox, sandboxName(config), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.RunPodSandboxResponse, error) {
		return c.runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: config, RuntimeHandler: runtimeHandler})
	})
	return resp.GetPodSandboxId(), err
}

// StopPodSandbox stops the sandbox's containers and tears its network down.
func (c *Client) StopPodSandbox(ctx context.Context, podSandboxID string) error {
	_, err := call(ctx, c, opStopPodSandbox, podSandboxID, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.StopPodSandboxResponse, error) {
		return c.runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: podSandboxID})
	})
	return err
}

// RemovePodSandbox removes the sandbox and any containers left in it.
func (c *Client) RemovePodSandbox(ctx context.Context, podSandboxID string) error {
	_, err := call(ctx, c, opRemovePodSandbox, podSandboxID, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.RemovePodSandboxResponse, error) {
		return c.runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: podSandboxID})
	})
	return err
}

// PodSandboxStatus returns the sandbox's state and network status.
func (c *Client) PodSandboxStatus(ctx context.Context, podSandboxID string, verbose bool) (*runtimeapi.PodSandboxStatusResponse, error) {
	return call(ctx, c, opPodSandboxStatus, podSandboxID, c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.PodSandboxStatusResponse, error) {
		return c.runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: podSandboxID, Verbose: verbose})
	})
}

// ListPodSandbox lists the sandboxes matching filter (nil lists all).
func (c *Client) ListPodSandbox(ctx context.Context, filter *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	resp, err := call(ctx, c, opListPodSandbox, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListPodSandboxResponse, error) {
		return c.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: filter})
	})
	return resp.GetItems(), err
}

// PortForward asks the runtime for a streaming URL that forwards ports into
// the sandbox.
func (c *Client) PortForward(ctx context.Context, request *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return call(ctx, c, opPortForward, request.GetPodSandboxId(), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.PortForwardResponse, error) {
		return c.runtime.PortForward(ctx, request)
	})
}

// UpdatePodSandboxResources tells the runtime about new pod-level resources.
func (c *Client) UpdatePodSandboxResources(ctx context.Context, request *runtimeapi.UpdatePodSandboxResourcesRequest) (*runtimeapi.UpdatePodSandboxResourcesResponse, error) {
	return call(ctx, c, opUpdatePodSandboxResources, request.GetPodSandboxId(), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.UpdatePodSandboxResourcesResponse, error) {
		return c.runtime.UpdatePodSandboxResources(ctx, request)
	})
}

// CheckpointPod checkpoints a whole pod sandbox.
func (c *Client) CheckpointPod(ctx context.Context, options *runtimeapi.CheckpointPodRequest) error {
	_, err := call(ctx, c, opCheckpointPod, options.GetPodSandboxId(), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.CheckpointPodResponse, error) {
		return c.runtime.CheckpointPod(ctx, options)
	})
	return err
}

// RestorePod recreates a pod sandbox and its containers from a checkpoint.
func (c *Client) RestorePod(ctx context.Context, options *runtimeapi.RestorePodRequest) (*runtimeapi.RestorePodResponse, error) {
	return call(ctx, c, opRestorePod, "", c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.RestorePodResponse, error) {
		return c.runtime.RestorePod(ctx, options)
	})
}

// sandboxName names a sandbox that has no ID yet, for error messages.
func sandboxName(config *runtimeapi.PodSandboxConfig) string {
	meta := config.GetMetadata()
	return fmt.Sprintf("%s/%s", meta.GetNamespace(), meta.GetName())
}
