package cri

import (
	"context"
	"fmt"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CreateContainer creates a container in the sandbox and returns its ID.
func (c *Client) CreateContainer(ctx context.Context, podSandboxID string, config *runtimeapi.ContainerConfig, sandboxConfig *runtimeapi.PodSandboxConfig) (string, error) {
	subject := fmt.Sprintf("%q in sandbox %s", config.GetMetadata().GetName(), podSandboxID)
	resp, err := call(ctx, c, opCreateContainer, subject, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.CreateContainerResponse, error) {
		return c.runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
			PodSandboxId:  podSandboxID,
			Config:        config,
			SandboxConfig: sandboxConfig,
		})
	})
	return resp.GetContainerId(), err
}

// StartContainer starts a created container.
func (c *Client) StartContainer(ctx context.Context, containerID string) error {
	_, err := call(ctx, c, opStartContainer, containerID, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.StartContainerResponse, error) {
		return c.runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: containerID})
	})
	return err
}

// StopContainer stops a container, killing it after timeout seconds of
// grace, bounded to [0, MaxTimeoutSeconds]. The call may take the grace
// period plus CallTimeout.
func (c *Client) StopContainer(ctx context.Context, containerID string, timeout int64) error {
	timeout = clampTimeoutSeconds(timeout)
	limit := callLimit(c.cfg.CallTimeout, time.Duration(timeout)*time.Second)
	_, err := call(ctx, c, opStopContainer, containerID, limit, func(ctx context.Context) (*runtimeapi.StopContainerResponse, error) {
		return c.runtime.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: containerID, Timeout: timeout})
	})
	return err
}

// RemoveContainer removes a container, stopping it first if needed.
func (c *Client) RemoveContainer(ctx context.Context, containerID string) error {
	_, err := call(ctx, c, opRemoveContainer, containerID, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.RemoveContainerResponse, error) {
		return c.runtime.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: containerID})
	})
	return err
}

// ListContainers lists the containers matching filter (nil lists all).
func (c *Client) ListContainers(ctx context.Context, filter *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	resp, err := call(ctx, c, opListContainers, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListContainersResponse, error) {
		return c.runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: filter})
	})
	return resp.GetContainers(), err
}

// ContainerStatus returns a container's state, exit code and timestamps.
func (c *Client) ContainerStatus(ctx context.Context, containerID string, verbose bool) (*runtimeapi.ContainerStatusResponse, error) {
	return call(ctx, c, opContainerStatus, containerID, c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ContainerStatusResponse, error) {
		return c.runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: containerID, Verbose: verbose})
	})
}

// UpdateContainerResources changes a running container's resource limits.
func (c *Client) UpdateContainerResources(ctx context.Context, containerID string, resources *runtimeapi.ContainerResources) error {
	_, err := call(ctx, c, opUpdateContainer, containerID, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.UpdateContainerResourcesResponse, error) {
		return c.runtime.UpdateContainerResources(ctx, &runtimeapi.UpdateContainerResourcesRequest{
			ContainerId: containerID,
			Linux:       resources.GetLinux(),
			Windows:     resources.GetWindows(),
		})
	})
	return err
}

// ReopenContainerLog makes the runtime reopen the container's log file,
// after the caller rotated it.
func (c *Client) ReopenContainerLog(ctx context.Context, containerID string) error {
	_, err := call(ctx, c, opReopenContainerLog, containerID, c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.ReopenContainerLogResponse, error) {
		return c.runtime.ReopenContainerLog(ctx, &runtimeapi.ReopenContainerLogRequest{ContainerId: containerID})
	})
	return err
}

// CheckpointContainer checkpoints a container; the request's own timeout
// is bounded to [0, MaxTimeoutSeconds], and the call may take it plus
// CallTimeout.
func (c *Client) CheckpointContainer(ctx context.Context, options *runtimeapi.CheckpointContainerRequest) error {
	request := &runtimeapi.CheckpointContainerRequest{
		ContainerId: options.GetContainerId(),
		Location:    options.GetLocation(),
		Timeout:     clampTimeoutSeconds(options.GetTimeout()),
	}
	limit := callLimit(c.cfg.CallTimeout, time.Duration(request.Timeout)*time.Second)
	_, err := call(ctx, c, opCheckpointContainer, request.ContainerId, limit, func(ctx context.Context) (*runtimeapi.CheckpointContainerResponse, error) {
		return c.runtime.CheckpointContainer(ctx, request)
	})
	return err
}
