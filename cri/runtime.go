package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Version returns the runtime's name, version and CRI API version.
func (c *Client) Version(ctx context.Context, apiVersion string) (*runtimeapi.VersionResponse, error) {
	return call(ctx, c, opVersion, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.VersionResponse, error) {
		return c.runtime.Version(ctx, &runtimeapi.VersionRequest{Version: apiVersion})
	})
}

// Status returns the runtime's readiness conditions (RuntimeReady,
// NetworkReady).
func (c *Client) Status(ctx context.Context, verbose bool) (*runtimeapi.StatusResponse, error) {
	return call(ctx, c, opStatus, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.StatusResponse, error) {
		return c.runtime.Status(ctx, &runtimeapi.StatusRequest{Verbose: verbose})
	})
}

// RuntimeConfig returns the runtime's configuration as it reports it to
// kubelet (e.g. its cgroup driver).
func (c *Client) RuntimeConfig(ctx context.Context) (*runtimeapi.RuntimeConfigResponse, error) {
	return call(ctx, c, opRuntimeConfig, "", c.cfg.ListTimeout, func(ctx context.Context) (*runtimeapi.RuntimeConfigResponse, error) {
		return c.runtime.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{})
	})
}

// UpdateRuntimeConfig passes runtime-wide settings (the pod CIDR) to the
// runtime.
func (c *Client) UpdateRuntimeConfig(ctx context.Context, runtimeConfig *runtimeapi.RuntimeConfig) error {
	_, err := call(ctx, c, opUpdateRuntimeConfig, "", c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
		return c.runtime.UpdateRuntimeConfig(ctx, &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: runtimeConfig})
	})
	return err
}
