package prober

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Event reasons the kubelet records when a hook fails.
const (
	EventFailedPostStartHook = "FailedPostStartHook"
	EventFailedPreStopHook   = "FailedPreStopHook"
)

// RunLifecycleHandler runs a postStart or preStop handler for the
// container and returns what it printed (exec) or answered (httpGet). On
// failure the message reads like the kubelet's, for a FailedPostStartHook
// or FailedPreStopHook event, and err says why.
//
// ctx bounds the handler: give preStop a deadline at the end of the grace
// period, and postStart one as long as the caller will wait. As under the
// kubelet, an httpGet hook fails only when no answer comes — the status
// code does not matter — and a sleep hook cut short by ctx fails.
func (m *Manager) RunLifecycleHandler(ctx context.Context, pod *v1.Pod, podIP, containerID string, container *v1.Container, h *v1.LifecycleHandler) (string, error) {
	t := target{pod: pod, podIP: podIP, container: container, containerID: containerID}
	field := hookField(container, h)
	switch {
	case h.Exec != nil:
		output, err := runCommand(ctx, m.cfg.Runtime, containerID, h.Exec.Command, timeLeft(ctx))
		if err != nil {
			return fmt.Sprintf("Exec lifecycle hook (%s) for Container %q in Pod %q failed - error: %v, message: %q",
				h.Exec.Command, container.Name, podName(pod), err, output), fmt.Errorf("%s: %w", field, err)
		}
		return output, nil
	case h.HTTPGet != nil:
		answer, err := m.runHTTPHook(ctx, field+".httpGet", h.HTTPGet, t)
		if err != nil {
			return fmt.Sprintf("HTTP lifecycle hook (%s) for Container %q in Pod %q failed - error: %v",
				h.HTTPGet.Path, container.Name, podName(pod), err), err
		}
		return answer, nil
	case h.Sleep != nil:
		if !sleep(ctx, sleepActionDuration(h.Sleep.Seconds)) {
			err := fmt.Errorf("%s.sleep: the container was stopped before the %ds sleep ended", field, h.Sleep.Seconds)
			return fmt.Sprintf("Sleep lifecycle hook (%d) for Container %q in Pod %q failed - error: %v",
				h.Sleep.Seconds, container.Name, podName(pod), err), err
		}
		return "", nil
	default:
		err := fmt.Errorf("%s: no handler to run: give exec, httpGet or sleep (tcpSocket is accepted by the API but never run)", field)
		return "Cannot run handler: " + err.Error(), err
	}
}

// runHTTPHook sends the hook's GET and returns "HTTP <status>: <body>".
func (m *Manager) runHTTPHook(ctx context.Context, field string, action *v1.HTTPGetAction, t target) (string, error) {
	if action.Port.Type == intstr.String && action.Port.StrVal == "" {
		action = action.DeepCopy()
		action.Port = intstr.FromInt32(80) // the kubelet's default for hooks
	}
	req, err := newGetRequest(ctx, field, action, t)
	if err != nil {
		return "", err
	}
	resp, err := get(m.http, req)
	if err != nil && req.URL.Scheme == "https" && strings.Contains(err.Error(), "server gave HTTP response") {
		// The kubelet retries an HTTPS hook that reached a plain-HTTP
		// server over HTTP.
		plain := req.Clone(ctx)
		plain.URL.Scheme = "http"
		plain.Header.Del("Authorization")
		resp, err = get(m.http, plain)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("%s: GET %s: no answer before the hook's deadline: %w", field, req.URL, err)
		}
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return fmt.Sprintf("HTTP %d: %s", resp.status, shorten(resp.body)), nil
}

// hookField names the handler's manifest field for messages.
func hookField(c *v1.Container, h *v1.LifecycleHandler) string {
	if c.Lifecycle != nil && h == c.Lifecycle.PreStop {
		return "lifecycle.preStop"
	}
	if c.Lifecycle != nil && h == c.Lifecycle.PostStart {
		return "lifecycle.postStart"
	}
	return "lifecycle handler"
}

// timeLeft is the time until ctx's deadline, zero (no limit of its own)
// without one; an exec hook gets it as its runtime timeout so the runtime
// kills the command when the grace period ends.
func timeLeft(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0
	}
	return max(time.Until(deadline), time.Millisecond)
}

func podName(pod *v1.Pod) string {
	return pod.Namespace + "/" + pod.Name
}

// sleepActionDuration is a sleep action's duration. Seconds past what a
// Duration holds saturate instead of wrapping negative (which would end
// the sleep at once); the grace period's deadline ends it long before.
func sleepActionDuration(seconds int64) time.Duration {
	const maxSeconds = int64(math.MaxInt64 / int64(time.Second))
	return time.Duration(min(max(seconds, 0), maxSeconds)) * time.Second
}
