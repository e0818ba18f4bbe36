package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"
	"k8s.io/streaming/pkg/httpstream"
)

// defaultContainerAnnotation names the container kubectl picks when none
// is given.
const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// ExecOptions are the inputs of `exec`, kubectl's flags.
type ExecOptions struct {
	Pod string
	// Container is -c; "" picks the pod's default container, as kubectl
	// does.
	Container string
	Command   []string
	// Stdin is -i: pass In to the command.
	Stdin bool
	// TTY is -t: run the command on a terminal, In's if it is one.
	TTY bool
	// Quiet is -q: no notes on ErrOut.
	Quiet bool
	// Protocol is which streaming protocol to speak; "" tries WebSocket
	// (v5.channel.k8s.io), then SPDY, as kubectl does.
	Protocol Protocol
	In       io.Reader
	Out      io.Writer
	ErrOut   io.Writer
}

// Protocol selects the streaming protocol of exec, attach and cp.
type Protocol string

// The protocols; ProtocolAuto tries WebSocket first.
const (
	ProtocolAuto      Protocol = ""
	ProtocolWebSocket Protocol = "websocket"
	ProtocolSPDY      Protocol = "spdy"
)

// ParseProtocol checks a --protocol value.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(strings.ToLower(s)); p {
	case ProtocolAuto, "auto":
		return ProtocolAuto, nil
	case ProtocolWebSocket, ProtocolSPDY:
		return p, nil
	}
	return "", fmt.Errorf("--protocol %q: use auto, websocket or spdy", s)
}

// ExitCodeError is a remote command's non-zero exit: the CLI prints its
// message, as kubectl does, and exits with Code.
type ExitCodeError struct {
	Code int
	// Silent says the command has said all there is (diff found
	// differences): the CLI exits with Code and prints nothing more.
	Silent bool
}

func (e *ExitCodeError) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.Code)
}

// Exec runs a command in a container and returns when it ends; a
// non-zero exit is an *ExitCodeError.
func Exec(ctx context.Context, conn Connection, opts ExecOptions) error {
	if len(opts.Command) == 0 {
		return errors.New("exec needs a command: minikubelet exec POD -- COMMAND [ARGS...]")
	}
	client, err := Dial(conn)
	if err != nil {
		return err
	}
	pod, err := client.GetPod(ctx, client.Namespace(), opts.Pod)
	if err != nil {
		return err
	}
	if pod.Status.Phase == v1.PodSucceeded || pod.Status.Phase == v1.PodFailed {
		return fmt.Errorf("cannot exec into a container in a completed pod; current phase is %s", pod.Status.Phase)
	}
	container, err := pickContainer(pod, opts.Container, opts.Quiet, opts.ErrOut)
	if err != nil {
		return err
	}
	term := openTerminal(opts.In, opts.Out, opts.TTY, opts.Stdin)
	if opts.TTY && opts.Stdin && term == nil && !opts.Quiet {
		fmt.Fprintln(opts.ErrOut, "Unable to use a TTY - input is not a terminal or the right kind of file")
	}
	req := client.rest.Post().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).SubResource("exec").
		Param("container", container.Name)
	for _, arg := range opts.Command {
		req = req.Param("command", arg)
	}
	streams := streamsFor(opts.Stdin, term != nil, opts.In, opts.Out, opts.ErrOut)
	return client.stream(ctx, withStreamParams(req, streams).URL().String(), opts.Protocol, streams, term)
}

// pickContainer finds the named container, or the pod's default one,
// with kubectl's words.
func pickContainer(pod *v1.Pod, name string, quiet bool, warn io.Writer) (*v1.Container, error) {
	if len(pod.Spec.Containers) == 0 {
		return nil, fmt.Errorf("pod %s/%s does not have any containers", pod.Namespace, pod.Name)
	}
	if name == "" {
		name = pod.Annotations[defaultContainerAnnotation]
	}
	if name != "" {
		for _, list := range [][]v1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
			for i := range list {
				if list[i].Name == name {
					return &list[i], nil
				}
			}
		}
		return nil, fmt.Errorf("container %s is not valid for pod %s out of: %s", name, pod.Name, allContainerNames(pod))
	}
	container := &pod.Spec.Containers[0]
	if !quiet && warn != nil && (len(pod.Spec.Containers) > 1 || len(pod.Spec.InitContainers) > 0) {
		fmt.Fprintf(warn, "Defaulted container %q out of: %s\n", container.Name, allContainerNames(pod))
	}
	return container, nil
}

func allContainerNames(pod *v1.Pod) string {
	var names []string
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name+" (init)")
	}
	return strings.Join(names, ", ")
}

// streamsFor is what a session carries: stdin only with -i, stderr only
// without a terminal (a terminal merges it into stdout).
func streamsFor(stdin, tty bool, in io.Reader, out, errOut io.Writer) remotecommand.StreamOptions {
	if out == errOut && out != nil {
		// client-go copies stdout and stderr in two goroutines; one
		// writer for both (a bytes.Buffer, say) must take them in turn.
		shared := &lockedWriter{w: out}
		out, errOut = shared, shared
	}
	opts := remotecommand.StreamOptions{Stdout: out, Tty: tty}
	if stdin {
		opts.Stdin = in
	}
	if !tty {
		opts.Stderr = errOut
	}
	return opts
}

// withStreamParams asks for the streams the session carries, with the
// API's parameter names.
func withStreamParams(req *rest.Request, streams remotecommand.StreamOptions) *rest.Request {
	for name, on := range map[string]bool{
		"stdin": streams.Stdin != nil, "stdout": streams.Stdout != nil, "stderr": streams.Stderr != nil, "tty": streams.Tty,
	} {
		if on {
			req = req.Param(name, "true")
		}
	}
	return req
}

// stream runs one exec or attach session at rawURL: over WebSocket,
// falling back to SPDY when the server refuses the upgrade, as kubectl
// does, with the terminal (if any) in raw mode and its resizes sent.
func (c *Client) stream(ctx context.Context, rawURL string, protocol Protocol, opts remotecommand.StreamOptions, term *terminal) error {
	if strings.HasPrefix(c.target.Server, unixPrefix) {
		return fmt.Errorf("exec, attach and cp need the agent's https:// address; they cannot reach %s (client-go's streaming dialers do not dial unix sockets)", c.target.Server)
	}
	executor, err := c.executor(rawURL, protocol)
	if err != nil {
		return err
	}
	if term != nil {
		restore, err := term.makeRaw()
		if err != nil {
			return err
		}
		defer restore()
		sizes := term.watchSize(ctx)
		opts.TerminalSizeQueue = sizes
	}
	err = executor.StreamWithContext(ctx, opts)
	var exitErr exec.CodeExitError
	if errors.As(err, &exitErr) && exitErr.Exited() {
		return &ExitCodeError{Code: exitErr.ExitStatus()}
	}
	return err
}

// executor is client-go's, as kubectl builds it.
func (c *Client) executor(rawURL string, protocol Protocol) (remotecommand.Executor, error) {
	spdy, err := remotecommand.NewSPDYExecutor(c.target.Config, "POST", mustParseURL(rawURL))
	if err != nil {
		return nil, fmt.Errorf("preparing the SPDY connection to %s: %w", c.target.Server, err)
	}
	if protocol == ProtocolSPDY {
		return spdy, nil
	}
	websocket, err := remotecommand.NewWebSocketExecutor(c.target.Config, "GET", rawURL)
	if err != nil {
		return nil, fmt.Errorf("preparing the WebSocket connection to %s: %w", c.target.Server, err)
	}
	if protocol == ProtocolWebSocket {
		return websocket, nil
	}
	return remotecommand.NewFallbackExecutor(websocket, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
