// Package streamingtest is a CRI runtime's streaming side for tests of
// exec, attach and cp: the CRI Exec and Attach calls hand out URLs of a
// real streaming server (k8s.io/cri-streaming, the library runtimes build
// theirs from), whose sessions run small Go programs instead of processes.
package streamingtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	criserver "k8s.io/cri-streaming/pkg/streaming"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
)

// Session is what a program is run with.
type Session struct {
	Ctx         context.Context
	ContainerID string
	Args        []string
	// Stdin is nil without stdin; Stdout and Stderr discard what was not
	// asked for.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
	// Resize carries the client's terminal sizes (nil without a TTY).
	Resize <-chan remotecommand.TerminalSize
}

// Program is a command the runtime can run: its exit code, or an error
// the runtime reports (e.g. a missing executable).
type Program func(s Session) (int, error)

// Runtime implements kubelet/streaming's Runtime.
type Runtime struct {
	// Programs run by exec, by argv[0]; AttachProgram is the main process
	// attach joins.
	Programs      map[string]Program
	AttachProgram Program

	server criserver.Server
	http   *httptest.Server

	mu sync.Mutex
	// authorization records the Authorization header of each request the
	// streaming server received.
	authorization []string
}

// New starts the runtime's streaming server; it stops with the test.
func New(t testing.TB) *Runtime {
	rt := &Runtime{Programs: Programs()}
	rt.http = httptest.NewUnstartedServer(nil)
	base, err := url.Parse("http://" + rt.http.Listener.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	config := criserver.DefaultConfig
	config.BaseURL = base
	rt.server, err = criserver.NewServer(config, adapter{rt})
	if err != nil {
		t.Fatal(err)
	}
	rt.http.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.mu.Lock()
		rt.authorization = append(rt.authorization, r.Header.Get("Authorization"))
		rt.mu.Unlock()
		rt.server.ServeHTTP(w, r)
	})
	rt.http.Start()
	t.Cleanup(rt.http.Close)
	return rt
}

// Authorization lists the Authorization headers the streaming server saw.
func (rt *Runtime) Authorization() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.authorization...)
}

// Exec implements the CRI call: a URL for the session.
func (rt *Runtime) Exec(_ context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return rt.server.GetExec(req)
}

// Attach implements the CRI call: a URL for the session.
func (rt *Runtime) Attach(_ context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return rt.server.GetAttach(req)
}

// adapter runs programs for the streaming server.
type adapter struct{ rt *Runtime }

func (a adapter) Exec(ctx context.Context, containerID string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	program, ok := a.rt.Programs[cmd[0]]
	if !ok {
		return fmt.Errorf("OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown", cmd[0])
	}
	return run(program, ctx, containerID, cmd, in, out, errOut, tty, resize)
}

func (a adapter) Attach(ctx context.Context, containerID string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	if a.rt.AttachProgram == nil {
		return fmt.Errorf("container %s has no main process to attach to", containerID)
	}
	return run(a.rt.AttachProgram, ctx, containerID, nil, in, out, errOut, tty, resize)
}

func (a adapter) PortForward(context.Context, string, int32, io.ReadWriteCloser) error {
	return fmt.Errorf("port-forward is not part of this test runtime")
}

func run(program Program, ctx context.Context, containerID string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	s := Session{Ctx: ctx, ContainerID: containerID, Args: cmd, Stdin: in, Stdout: orDiscard(out), Stderr: orDiscard(errOut), TTY: tty, Resize: resize}
	code, err := program(s)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitError(code)
	}
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// exitError is k8s.io/utils/exec's ExitError, which the streaming server
// reports as the exit code.
type exitError int

func (e exitError) Error() string   { return fmt.Sprintf("exit status %d", int(e)) }
func (e exitError) String() string  { return e.Error() }
func (e exitError) Exited() bool    { return true }
func (e exitError) ExitStatus() int { return int(e) }
