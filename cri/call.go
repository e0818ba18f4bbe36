package cri

import (
	"context"
	"log/slog"
	"time"
)

// Operation names, as kubelet's instrumented runtime service reports them
// in kubelet_runtime_operations_total{operation_type}.
const (
	opVersion                   = "version"
	opStatus                    = "status"
	opRuntimeConfig             = "runtime_config"
	opUpdateRuntimeConfig       = "update_runtime_config"
	opRunPodSandbox             = "run_podsandbox"
	opStopPodSandbox            = "stop_podsandbox"
	opRemovePodSandbox          = "remove_podsandbox"
	opPodSandboxStatus          = "podsandbox_status"
	opListPodSandbox            = "list_podsandbox"
	opUpdatePodSandboxResources = "update_podsandbox_resources"
	opCheckpointPod             = "checkpoint_pod"
	opRestorePod                = "restore_pod"
	opCreateContainer           = "create_container"
	opStartContainer            = "start_container"
	opStopContainer             = "stop_container"
	opRemoveContainer           = "remove_container"
	opListContainers            = "list_containers"
	opContainerStatus           = "container_status"
	opUpdateContainer           = "update_container"
	opReopenContainerLog        = "reopen_container_log"
	opCheckpointContainer       = "checkpoint_container"
	opGetContainerEvents        = "get_container_events"
	opExecSync                  = "exec_sync"
	opExec                      = "exec"
	opAttach                    = "attach"
	opPortForward               = "port_forward"
	opContainerStats            = "container_stats"
	opListContainerStats        = "list_container_stats"
	opPodSandboxStats           = "podsandbox_stats"
	opListPodSandboxStats       = "list_podsandbox_stats"
	opListMetricDescriptors     = "list_metric_descriptors"
	opListPodSandboxMetrics     = "list_podsandbox_metrics"
	opListImages                = "list_images"
	opImageStatus               = "image_status"
	opPullImage                 = "pull_image"
	opRemoveImage               = "remove_image"
	opImageFsInfo               = "image_fs_info"
)

// call runs one unary RPC under the shorter of the caller's deadline and
// timeout, turns its error into an *Error, and reports it to the observer
// and the debug log.
func call[Resp any](ctx context.Context, c *Client, operation, subject string, timeout time.Duration, rpc func(context.Context) (Resp, error)) (Resp, error) {
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	resp, err := rpc(callCtx)
	if err != nil {
		err = newError(callFailure{
			operation: operation,
			subject:   subject,
			endpoint:  c.endpoint,
			timeout:   timeout,
			parent:    ctx,
			call:      callCtx,
		}, err)
	}
	c.record(ctx, operation, subject, time.Since(start), err)
	return resp, err
}

// record reports a finished call to the availability watcher, the
// observer and, at debug level, the log.
func (c *Client) record(ctx context.Context, operation, subject string, took time.Duration, err error) {
	c.availability.observe(ctx, err)
	if c.cfg.Observer != nil {
		c.cfg.Observer.ObserveOperation(operation, took, err)
	}
	log := c.cfg.Logger
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", operation),
		slog.Duration("duration", took),
	}
	if subject != "" {
		attrs = append(attrs, slog.String("subject", subject))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	log.LogAttrs(ctx, slog.LevelDebug, "CRI call", attrs...)
}
