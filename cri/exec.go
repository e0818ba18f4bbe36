package cri

import (
	"context"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ExecSync runs cmd in the container and returns its output. The runtime
// kills the command after timeout (zero: no limit of its own; at most
// MaxTimeoutSeconds); the call as a whole may take timeout plus
// CallTimeout, so a command without a limit is still cut off after
// CallTimeout. A non-zero exit is returned as *ExitError together with the
// output.
func (c *Client) ExecSync(ctx context.Context, containerID string, cmd []string, timeout time.Duration) ([]byte, []byte, error) {
	timeout = clampTimeout(timeout)
	var timeoutSeconds int64
	if timeout > 0 {
		// CRI counts whole seconds and zero means "no limit": round up.
		timeoutSeconds = int64((timeout + time.Second - 1) / time.Second)
	}
	resp, err := call(ctx, c, opExecSync, containerID, callLimit(c.cfg.CallTimeout, timeout), func(ctx context.Context) (*runtimeapi.ExecSyncResponse, error) {
		return c.runtime.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: containerID, Cmd: cmd, Timeout: timeoutSeconds})
	})
	if err != nil {
		return nil, nil, err
	}
	if resp.GetExitCode() != 0 {
		return resp.GetStdout(), resp.GetStderr(), &ExitError{ContainerID: containerID, ExitCode: resp.GetExitCode()}
	}
	return resp.GetStdout(), resp.GetStderr(), nil
}

// Exec asks the runtime for a streaming URL that runs a command in the
// container.
func (c *Client) Exec(ctx context.Context, request *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return call(ctx, c, opExec, request.GetContainerId(), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.ExecResponse, error) {
		return c.runtime.Exec(ctx, request)
	})
}

// Attach asks the runtime for a streaming URL attached to the container's
// main process.
func (c *Client) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return call(ctx, c, opAttach, req.GetContainerId(), c.cfg.CallTimeout, func(ctx context.Context) (*runtimeapi.AttachResponse, error) {
		return c.runtime.Attach(ctx, req)
	})
}
