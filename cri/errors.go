package cri

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrEventsUnsupported is returned by GetContainerEvents when the runtime
// has no CRI event stream (containerd 1.6 among others); callers should fall
// back to relisting.
var ErrEventsUnsupported = errors.New("the runtime does not support CRI container events")

// ErrEventStreamClosed says the runtime ended an event stream that was
// working, as CRI-O does when it stops: a reconnect follows, and it is no
// failure of its own.
var ErrEventStreamClosed = errors.New("the runtime closed the container event stream")

// Error is a failed CRI call. Its message says what was being done and what
// the runtime answered, without gRPC framing; the status code stays
// available through Code, status.Code(err) and IsNotFound.
type Error struct {
	// Operation is kubelet's name for the call, e.g. "stop_container".
	Operation string
	// Subject is the sandbox, container or image the call was about; empty
	// for runtime-wide calls.
	Subject string
	// Code is the gRPC status code.
	Code codes.Code
	// Message is the runtime's explanation, with gRPC transport prefixes
	// removed.
	Message string

	causes []error
}

// Error renders "stop container 3f2a…: <message> (NotFound)".
func (e *Error) Error() string {
	what := strings.ReplaceAll(e.Operation, "_", " ")
	if e.Subject != "" {
		what += " " + e.Subject
	}
	return fmt.Sprintf("%s: %s (%s)", what, e.Message, e.Code)
}

// GRPCStatus lets status.Code and status.FromError see the original code
// through any amount of %w wrapping.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Message) }

// Unwrap exposes the original gRPC error and, when the call ran out of time
// or was canceled, the context error, so errors.Is(err,
// context.DeadlineExceeded) holds.
func (e *Error) Unwrap() []error { return e.causes }

// IsNotFound reports whether err says the runtime does not know the sandbox,
// container or image — which stop and remove treat as already done.
func IsNotFound(err error) bool { return status.Code(err) == codes.NotFound }

// callFailure describes the circumstances of a failed call for newError.
type callFailure struct {
	operation, subject string
	endpoint           string
	timeout            time.Duration
	parent, call       context.Context
}

// newError turns a gRPC error into an *Error whose message a person can act
// on.
func newError(f callFailure, err error) *Error {
	st := status.Convert(err)
	e := &Error{
		Operation: f.operation,
		Subject:   f.subject,
		Code:      st.Code(),
		Message:   cleanMessage(st.Message()),
		causes:    []error{err},
	}
	if ctxErr := contextEnded(f.call, e.Code); ctxErr != nil {
		e.causes = append(e.causes, ctxErr)
		e.Message = timeoutMessage(f, ctxErr)
		return e
	}
	if e.Code == codes.Unavailable {
		e.Message = fmt.Sprintf("runtime at %s is unavailable: %s", f.endpoint, e.Message)
	}
	return e
}

// deadlineSlack covers the race between our deadline timer and the
// runtime's enforcement of the same deadline, which gRPC sends along: the
// runtime's DeadlineExceeded can arrive a moment before our context notices.
const deadlineSlack = 100 * time.Millisecond

// contextEnded returns the context error that explains a DeadlineExceeded or
// Canceled code, or nil when the runtime reported it for reasons of its own.
func contextEnded(ctx context.Context, code codes.Code) error {
	if code != codes.DeadlineExceeded && code != codes.Canceled {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && code == codes.DeadlineExceeded && time.Until(deadline) < deadlineSlack {
		return context.DeadlineExceeded
	}
	return nil
}

// timeoutMessage says whose deadline or cancellation ended the call.
func timeoutMessage(f callFailure, ctxErr error) string {
	switch {
	case errors.Is(ctxErr, context.Canceled):
		return "canceled by the caller"
	case callerDeadlineFirst(f.parent, f.call):
		return "the caller's deadline passed before the runtime answered"
	default:
		return fmt.Sprintf("the runtime at %s did not answer within %s", f.endpoint, f.timeout)
	}
}

// callerDeadlineFirst reports whether the caller's own deadline, not our
// per-call timeout, bounded the call.
func callerDeadlineFirst(parent, call context.Context) bool {
	callerDeadline, ok := parent.Deadline()
	callDeadline, _ := call.Deadline()
	return ok && !callerDeadline.After(callDeadline)
}

// grpcNoise are fragments gRPC puts around transport errors; they say
// nothing to an operator.
var grpcNoise = []string{
	`connection error: desc = "`,
	`transport: Error while dialing: `,
	`transport: error while dialing: `,
	`transport: `,
}

// nestedStatus is gRPC's rendering of a status that a runtime wrapped into
// its own message.
var nestedStatus = regexp.MustCompile(`rpc error: code = \w+ desc = `)

// cleanMessage strips gRPC framing from a status message.
func cleanMessage(msg string) string {
	for _, noise := range grpcNoise {
		if strings.Contains(msg, noise) {
			msg = strings.ReplaceAll(msg, noise, "")
			msg = strings.TrimSuffix(msg, `"`)
		}
	}
	msg = nestedStatus.ReplaceAllString(msg, "")
	if msg == "" {
		return "no message from the runtime"
	}
	return msg
}

// ExitError reports a command run by ExecSync that exited non-zero; the
// command's stdout and stderr are returned alongside it.
type ExitError struct {
	// ContainerID is the container the command ran in.
	ContainerID string
	// ExitCode is the command's exit status.
	ExitCode int32
}

// Error renders "command in container 3f2a… exited with code 1".
func (e *ExitError) Error() string {
	return fmt.Sprintf("command in container %s exited with code %d", e.ContainerID, e.ExitCode)
}
