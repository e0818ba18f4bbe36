package streaming

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	remotecommandconsts "k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"
)

// spdyPingPeriod keeps the SPDY connection to the runtime alive through
// anything between, as the API server's translator does.
const spdyPingPeriod = 5 * time.Second

// translate serves a v5.channel.k8s.io WebSocket client by driving the
// runtime's streaming server over SPDY (which every runtime speaks), and
// reports the process's end on the status channel.
func (h *handler) translate(w http.ResponseWriter, r *http.Request, s *session) {
	client, err := acceptWebSocket(w, r, s.opts.Streams, h.cfg.IdleTimeout)
	if err != nil {
		s.log.Info(string(s.kind)+" refused", "status", http.StatusBadRequest, "err", err)
		return
	}
	defer client.close()
	started := time.Now()
	s.log.Info(string(s.kind)+" session started", "protocol", remotecommandconsts.StreamProtocolV5Name+" over WebSocket, translated to SPDY")

	// The session ends with the agent, or when the client's connection
	// closes: the runtime's process may not notice on its own.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-client.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	err = h.streamToRuntime(ctx, s, client)
	status := statusOf(err)
	if writeErr := client.writeStatus(status); writeErr != nil && ctx.Err() == nil {
		s.log.Info("could not send the "+string(s.kind)+" session's status", "err", writeErr)
	}
	s.log.Info(string(s.kind)+" session ended", "duration", time.Since(started).Round(time.Millisecond), "outcome", outcome(ctx, status))
}

// streamToRuntime runs the session against the runtime's streaming URL
// with client-go's SPDY executor, redirects refused.
func (h *handler) streamToRuntime(ctx context.Context, s *session, client *wsClient) error {
	transport, err := spdy.NewRoundTripperWithConfig(spdy.RoundTripperConfig{UpgradeTransport: h.transport, PingPeriod: spdyPingPeriod})
	if err != nil {
		return fmt.Errorf("preparing the SPDY connection to the runtime: %w", err)
	}
	executor, err := remotecommand.NewSPDYExecutorRejectRedirects(transport, transport, http.MethodPost, s.location)
	if err != nil {
		return fmt.Errorf("preparing the SPDY connection to the runtime: %w", err)
	}
	return executor.StreamWithContext(ctx, client.streamOptions(s.opts.Streams))
}

// statusOf turns the executor's result into the Status a v5 client reads:
// success, the process's non-zero exit code, or the error.
func statusOf(err error) *apierrors.StatusError {
	var statusErr *apierrors.StatusError
	var exitErr exec.CodeExitError
	switch {
	case err == nil:
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusSuccess}}
	case errors.As(err, &statusErr):
		return statusErr
	case errors.As(err, &exitErr) && exitErr.Exited():
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure,
			Reason: remotecommandconsts.NonZeroExitCodeReason,
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{
				Type:    remotecommandconsts.ExitCodeCauseType,
				Message: fmt.Sprint(exitErr.ExitStatus()),
			}}},
			Message: fmt.Sprintf("command terminated with non-zero exit code: %v", exitErr),
		}}
	}
	return apierrors.NewInternalError(err)
}

// outcome says in a few words how a session ended, for the log.
func outcome(ctx context.Context, status *apierrors.StatusError) string {
	s := status.Status()
	switch {
	case s.Status == metav1.StatusSuccess:
		return "exit code 0"
	case s.Reason == remotecommandconsts.NonZeroExitCodeReason && s.Details != nil && len(s.Details.Causes) > 0:
		return "exit code " + s.Details.Causes[0].Message
	case ctx.Err() != nil:
		return "ended by the client or the agent: " + s.Message
	}
	return s.Message
}
