package streaming

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"

	"github.com/minikubelet/minikubelet/kubelet/streaming/streamingtest"
	"github.com/minikubelet/minikubelet/test/testutil"
)

// fakeContainers is one pod, "web" in "default", with containers by name.
type fakeContainers map[string]Container

func (f fakeContainers) Container(_ context.Context, namespace, pod, name string) (Container, error) {
	if namespace != "default" || pod != "web" {
		return Container{}, ErrPodNotFound
	}
	listed := Container{Containers: []string{"app", "side"}, InitContainers: []string{"init"}}
	if name == "" {
		return listed, ErrContainerChoice
	}
	c, ok := f[name]
	if !ok {
		return listed, ErrNoSuchContainer
	}
	return c, nil
}

var testContainers = fakeContainers{
	"app":  {Name: "app", ID: "c-app", Running: true, PodUID: "uid-1"},
	"side": {Name: "side", ID: "c-side", Running: false, PodUID: "uid-1"},
}

// agent is the handler behind a test server, with the test runtime.
type agent struct {
	url     string
	runtime *streamingtest.Runtime
	logs    *testutil.SyncBuffer
}

func startAgent(t *testing.T, tweak func(*HandlerConfig)) *agent {
	t.Helper()
	rt := streamingtest.New(t)
	logs := &testutil.SyncBuffer{}
	cfg := HandlerConfig{Containers: testContainers, Runtime: rt, Logger: newTestLogger(logs)}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &agent{url: srv.URL, runtime: rt, logs: logs}
}

// executor is client-go's, as kubectl builds it, for one protocol.
func (a *agent) executor(t *testing.T, protocol, path string) remotecommand.Executor {
	t.Helper()
	cfg := &rest.Config{Host: a.url, BearerToken: "secret-token"}
	var ex remotecommand.Executor
	var err error
	if protocol == "websocket" {
		ex, err = remotecommand.NewWebSocketExecutor(cfg, "GET", a.url+path)
	} else {
		var u *url.URL
		if u, err = url.Parse(a.url + path); err == nil {
			ex, err = remotecommand.NewSPDYExecutor(cfg, "POST", u)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

const execPath = "/api/v1/namespaces/default/pods/web/exec?container=app&"

var protocols = []string{"websocket", "spdy"}

func TestExecCarriesOutputAndExitCode(t *testing.T) {
	a := startAgent(t, nil)
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := a.executor(t, protocol, execPath+"command=echo&command=hello&command=world&stdout=true&stderr=true").
				StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut})
			if err != nil || out.String() != "hello world\n" {
				t.Fatalf("echo: %v, stdout %q", err, out.String())
			}
			err = a.executor(t, protocol, execPath+"command=stderr&command=oops&stdout=true&stderr=true").
				StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut})
			if err != nil || errOut.String() != "oops\n" {
				t.Fatalf("stderr: %v, stderr %q", err, errOut.String())
			}
			err = a.executor(t, protocol, execPath+"command=exit&command=3&stdout=true").
				StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: &out})
			var exitErr exec.CodeExitError
			if !errors.As(err, &exitErr) || exitErr.ExitStatus() != 3 {
				t.Fatalf("exit 3: %v (%T); want exit code 3", err, err)
			}
		})
	}
	for _, want := range []string{`protocol="v5.channel.k8s.io over WebSocket, translated to SPDY"`, `protocol="SPDY/3.1 v5.channel.k8s.io`} {
		if !strings.Contains(a.logs.String(), want) {
			t.Errorf("the log has no session with %s:\n%s", want, a.logs)
		}
	}
	for _, auth := range a.runtime.Authorization() {
		if auth != "" {
			t.Errorf("the runtime's streaming server was sent the client's credentials %q", auth)
		}
	}
}

// TestExecStdinCloseReachesTheProcess: a program reading to end of input
// ends when the client's input does (v5's stream close over WebSocket, a
// half-close over SPDY).
func TestExecStdinCloseReachesTheProcess(t *testing.T) {
	a := startAgent(t, nil)
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := a.executor(t, protocol, execPath+"command=repl&stdin=true&stdout=true").
				StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("a\nb\n"), Stdout: &out})
			if err != nil || out.String() != "echo: a\necho: b\nbye\n" {
				t.Fatalf("repl: %v, stdout %q; want both lines echoed and bye at end of input", err, out.String())
			}
		})
	}
}

// TestExecTerminalResizesReachTheProcess: sizes the client's queue gives
// arrive in the runtime's resize channel.
func TestExecTerminalResizesReachTheProcess(t *testing.T) {
	a := startAgent(t, nil)
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			sizes := make(chan remotecommand.TerminalSize, 2)
			sizes <- remotecommand.TerminalSize{Width: 100, Height: 30}
			sizes <- remotecommand.TerminalSize{Width: 132, Height: 42}
			var out bytes.Buffer
			stdin, closeStdin := io.Pipe()
			defer closeStdin.Close()
			err := a.executor(t, protocol, execPath+"command=sizes&command=2&stdin=true&stdout=true&tty=true").
				StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdin: stdin, Stdout: &out, Tty: true, TerminalSizeQueue: chanQueue(sizes)})
			if err != nil || out.String() != "size 100x30\nsize 132x42\n" {
				t.Fatalf("sizes: %v, stdout %q", err, out.String())
			}
		})
	}
}

type chanQueue chan remotecommand.TerminalSize

func (q chanQueue) Next() *remotecommand.TerminalSize {
	size, ok := <-q
	if !ok {
		return nil
	}
	return &size
}

func TestAttachJoinsTheMainProcess(t *testing.T) {
	a := startAgent(t, nil)
	a.runtime.AttachProgram = streamingtest.Repl
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			var out bytes.Buffer
			err := a.executor(t, protocol, "/attach/default/web/app?input=1&output=1").
				StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdin: strings.NewReader("hi\n"), Stdout: &out})
			if err != nil || out.String() != "echo: hi\nbye\n" {
				t.Fatalf("attach: %v, stdout %q", err, out.String())
			}
		})
	}
}

// TestRefusalsUseTheKubeletsWords checks the answers given before any
// upgrade, as kubectl shows them (client-go decodes a Status, and prefixes
// plain text with "unable to upgrade connection").
func TestRefusalsUseTheKubeletsWords(t *testing.T) {
	a := startAgent(t, nil)
	tests := []struct {
		path string
		want string
	}{
		{"/api/v1/namespaces/default/pods/gone/exec?command=id&stdout=1", `pods "gone" not found`},
		{"/exec/default/gone/app?command=id&output=1", "pod does not exist"},
		{"/api/v1/namespaces/default/pods/web/exec?container=nope&command=id&stdout=1", "container nope is not valid for pod web"},
		{"/api/v1/namespaces/default/pods/web/exec?command=id&stdout=1", "a container name must be specified for pod web, choose one of: [app side] or one of the init containers: [init]"},
		{"/api/v1/namespaces/default/pods/web/exec?container=side&command=id&stdout=1", `unable to upgrade connection: container not found ("side")`},
		{"/exec/default/web/other-uid/app?command=id&output=1", "pod default/web with UID other-uid not found"},
		{"/api/v1/namespaces/default/pods/web/exec?container=app&command=nothere&stdout=1", `"nothere": executable file not found`},
		{"/api/v1/namespaces/default/pods/web/exec?container=app&stdout=1", "you must specify at least 1 command"},
	}
	for _, tt := range tests {
		for _, protocol := range protocols {
			err := a.executor(t, protocol, tt.path).StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
			if protocol == "websocket" && err != nil && !strings.Contains(err.Error(), tt.want) {
				// kubectl falls back to SPDY on a refused WebSocket
				// upgrade; the words are SPDY's then.
				continue
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s %s: %v; want an error saying %q", protocol, tt.path, err, tt.want)
			}
		}
	}
	resp, err := http.Post(a.url+execPath+"command=id&stdout=1", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "needs a SPDY or WebSocket upgrade") {
		t.Errorf("a plain POST: %d %s", resp.StatusCode, body)
	}
}

// TestSessionsAreCapped: past MaxSessions a session is refused with 429
// until one ends.
func TestSessionsAreCapped(t *testing.T) {
	a := startAgent(t, func(cfg *HandlerConfig) { cfg.MaxSessions = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	stdin, stdinWriter := io.Pipe()
	first := make(chan error, 1)
	var out testutil.SyncBuffer
	go func() {
		first <- a.executor(t, "spdy", execPath+"command=repl&stdin=1&stdout=1").
			StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: &out})
	}()
	if _, err := stdinWriter.Write([]byte("up\n")); err != nil { // the session is open once it answers
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(out.String(), "echo: up") })
	err := a.executor(t, "spdy", execPath+"command=echo&stdout=1").StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "already has 1 exec and attach sessions open") {
		t.Fatalf("a second session: %v; want 429's message", err)
	}
	stdinWriter.Close()
	if err := <-first; err != nil {
		t.Fatalf("the first session: %v", err)
	}
	cancel()
	waitFor(t, func() bool {
		err := a.executor(t, "spdy", execPath+"command=echo&stdout=1").StreamWithContext(context.Background(), remotecommand.StreamOptions{Stdout: io.Discard})
		return err == nil
	})
}

// TestIdleSessionsEnd: a session that moves no byte for IdleTimeout is
// cut, on either protocol.
func TestIdleSessionsEnd(t *testing.T) {
	a := startAgent(t, func(cfg *HandlerConfig) { cfg.IdleTimeout = 300 * time.Millisecond })
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			stdin, stdinWriter := io.Pipe()
			defer stdinWriter.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			started := time.Now()
			err := a.executor(t, protocol, execPath+"command=hang&stdin=1&stdout=1").
				StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: io.Discard})
			if ctx.Err() != nil {
				t.Fatalf("an idle %s session was still open after 20s (err %v)", protocol, err)
			}
			t.Logf("%s session ended after %s: %v", protocol, time.Since(started).Round(time.Millisecond), err)
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
