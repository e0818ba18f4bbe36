package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerStats returns one container's CPU, memory and filesystem usage.
func (c *Client) ContainerStats(ctx context.Context, containerID string) (*runtimeapi.ContainerStats, error) {
	resp, err := call(ctx, c, opContainerStats, containerID, c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ContainerStatsResponse, error) {
		return c.runtime.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: containerID})
	})
	return resp.GetStats(), err
}

// ListContainerStats returns usage of the containers matching filter.
func (c *Client) ListContainerStats(ctx context.Context, filter *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	resp, err := call(ctx, c, opListContainerStats, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListContainerStatsResponse, error) {
		return c.runtime.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: filter})
	})
	return resp.GetStats(), err
}

// PodSandboxStats returns one sandbox's usage.
func (c *Client) PodSandboxStats(ctx context.Context, podSandboxID string) (*runtimeapi.PodSandboxStats, error) {
	resp, err := call(ctx, c, opPodSandboxStats, podSandboxID, c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.PodSandboxStatsResponse, error) {
		return c.runtime.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: podSandboxID})
	})
	return resp.GetStats(), err
}

// ListPodSandboxStats returns usage of the sandboxes matching filter.
func (c *Client) ListPodSandboxStats(ctx context.Context, filter *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error) {
	resp, err := call(ctx, c, opListPodSandboxStats, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListPodSandboxStatsResponse, error) {
		return c.runtime.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{Filter: filter})
	})
	return resp.GetStats(), err
}

// ListMetricDescriptors returns the descriptors of the metrics
// ListPodSandboxMetrics reports.
func (c *Client) ListMetricDescriptors(ctx context.Context) ([]*runtimeapi.MetricDescriptor, error) {
	resp, err := call(ctx, c, opListMetricDescriptors, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListMetricDescriptorsResponse, error) {
		return c.runtime.ListMetricDescriptors(ctx, &runtimeapi.ListMetricDescriptorsRequest{})
	})
	return resp.GetDescriptors(), err
}

// ListPodSandboxMetrics returns the runtime's metrics for every sandbox.
func (c *Client) ListPodSandboxMetrics(ctx context.Context) ([]*runtimeapi.PodSandboxMetrics, error) {
	resp, err := call(ctx, c, opListPodSandboxMetrics, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
		return c.runtime.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})
	})
	return resp.GetPodMetrics(), err
}
