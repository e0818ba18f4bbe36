package apiclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/kubelet/streaming"
	"github.com/minikubelet/minikubelet/kubelet/streaming/streamingtest"
)

// streamingAgent is the node API with exec and attach, over a stand-in
// agent and the test runtime; root is the containers' file system for
// the runtime's tar and test (the host's GNU tar, confined to root).
type streamingAgent struct {
	*standInAgent
	runtime *streamingtest.Runtime
	root    string
	conn    Connection
}

func startStreamingAgent(t *testing.T, wrap func(http.Handler) http.Handler) *streamingAgent {
	t.Helper()
	sa := &streamingAgent{runtime: streamingtest.New(t), root: t.TempDir()}
	sa.runtime.Programs["tar"] = sa.tar
	sa.runtime.Programs["test"] = sa.test
	var err error
	sa.standInAgent, sa.conn = startNodeAPIWith(t, func(agent *standInAgent) map[string]http.Handler {
		h, herr := streaming.NewHandler(streaming.HandlerConfig{Containers: standInContainers{agent}, Runtime: sa.runtime})
		if herr != nil {
			err = herr
			return nil
		}
		if wrap != nil {
			h = wrap(h)
		}
		routes := map[string]http.Handler{}
		for _, pattern := range streaming.Patterns() {
			routes[pattern] = h
		}
		return routes
	})
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// tar runs the host's tar on root as the container's tar would run on
// its file system: `tar cf - /ABS` and `tar ... -xmf - -C /DIR`.
func (sa *streamingAgent) tar(s streamingtest.Session) (int, error) {
	args := append([]string(nil), s.Args[1:]...)
	for i := range args {
		switch {
		case i > 0 && args[i-1] == "-C":
			args[i] = filepath.Join(sa.root, args[i])
		case i > 1 && strings.HasPrefix(args[i], "/"):
			args[i] = strings.TrimPrefix(args[i], "/")
			args = append(args[:i], append([]string{"-C", sa.root}, args[i:]...)...)
		}
	}
	cmd := exec.CommandContext(s.Ctx, "tar", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.Stdin, s.Stdout, s.Stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode(), nil
	}
	return 0, err
}

func (sa *streamingAgent) test(s streamingtest.Session) (int, error) {
	info, err := os.Stat(filepath.Join(sa.root, s.Args[2]))
	if err == nil && s.Args[1] == "-d" && info.IsDir() {
		return 0, nil
	}
	return 1, nil
}

// standInContainers finds containers as the agent does: in the pod's
// spec, running when its status says so.
type standInContainers struct{ agent *standInAgent }

func (c standInContainers) Container(_ context.Context, namespace, pod, name string) (streaming.Container, error) {
	for _, view := range c.agent.Pods() {
		if view.Pod.Namespace != namespace || view.Pod.Name != pod {
			continue
		}
		for _, spec := range view.Pod.Spec.Containers {
			if spec.Name != name {
				continue
			}
			out := streaming.Container{Name: name, ID: "id-" + name}
			for _, status := range view.Pod.Status.ContainerStatuses {
				out.Running = out.Running || (status.Name == name && status.State.Running != nil)
			}
			return out, nil
		}
		return streaming.Container{}, streaming.ErrNoSuchContainer
	}
	return streaming.Container{}, streaming.ErrPodNotFound
}

// twoContainerPod runs app and side; side is the default by annotation
// when defaultSide.
func twoContainerPod(name string, defaultSide bool) string {
	annotation := ""
	if defaultSide {
		annotation = "  annotations:\n    " + defaultContainerAnnotation + ": side\n"
	}
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: default\n" + annotation +
		"spec:\n  containers:\n  - name: app\n    image: x\n  - name: side\n    image: x\n"
}

func runningContainers(names ...string) v1.PodStatus {
	status := v1.PodStatus{Phase: v1.PodRunning}
	for _, name := range names {
		status.ContainerStatuses = append(status.ContainerStatuses, v1.ContainerStatus{Name: name, State: v1.ContainerState{Running: &v1.ContainerStateRunning{}}})
	}
	return status
}

func TestExecPrintsOutputPassesInputAndReturnsTheExitCode(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	for _, protocol := range []Protocol{ProtocolAuto, ProtocolWebSocket, ProtocolSPDY} {
		var out, errOut bytes.Buffer
		opts := ExecOptions{Pod: "web", Command: []string{"echo", "hi", "there"}, Protocol: protocol, Out: &out, ErrOut: &errOut}
		if err := Exec(context.Background(), sa.conn, opts); err != nil || out.String() != "hi there\n" {
			t.Errorf("%q: echo: %v, stdout %q, stderr %q", protocol, err, out.String(), errOut.String())
		}
		out.Reset()
		opts.Command, opts.Stdin, opts.In = []string{"cat"}, true, strings.NewReader("piped\n")
		if err := Exec(context.Background(), sa.conn, opts); err != nil || out.String() != "piped\n" {
			t.Errorf("%q: exec -i cat: %v, stdout %q", protocol, err, out.String())
		}
		opts.Command, opts.Stdin = []string{"exit", "42"}, false
		var exitErr *ExitCodeError
		if err := Exec(context.Background(), sa.conn, opts); !errors.As(err, &exitErr) || exitErr.Code != 42 || err.Error() != "command terminated with exit code 42" {
			t.Errorf("%q: exit 42: %v; want an ExitCodeError of 42", protocol, err)
		}
	}
}

// TestExecFallsBackToSPDY: an agent that refuses the WebSocket upgrade
// (as older servers do) is reached over SPDY, as kubectl reaches it.
func TestExecFallsBackToSPDY(t *testing.T) {
	sa := startStreamingAgent(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
				http.Error(w, "no WebSocket here", http.StatusBadRequest)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	// One buffer each: the SPDY client copies stdout and stderr at once.
	var out, errOut bytes.Buffer
	if err := Exec(context.Background(), sa.conn, ExecOptions{Pod: "web", Command: []string{"echo", "spdy"}, Out: &out, ErrOut: &errOut}); err != nil || out.String() != "spdy\n" || errOut.Len() != 0 {
		t.Fatalf("exec: %v, output %q, errors %q", err, out.String(), errOut.String())
	}
}

// TestExecWithOneWriterForBothStreams: a caller may hand one writer (a
// bytes.Buffer) for stdout and stderr, as `2>&1` does; client-go copies
// the two streams in two goroutines, so without taking turns the writes
// raced and output was lost (1 session in 10 over SPDY).
func TestExecWithOneWriterForBothStreams(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	for _, protocol := range []Protocol{ProtocolSPDY, ProtocolWebSocket} {
		for i := 0; i < 20; i++ {
			for command, want := range map[string]string{"echo": "to stdout\n", "stderr": "to stderr\n"} {
				var both bytes.Buffer
				opts := ExecOptions{Pod: "web", Command: []string{command, "to", strings.TrimSuffix(want, "\n")[3:]}, Protocol: protocol, Out: &both, ErrOut: &both}
				if err := Exec(context.Background(), sa.conn, opts); err != nil || both.String() != want {
					t.Fatalf("%s, session %d, %s: %v, output %q, want %q", protocol, i, command, err, both.String(), want)
				}
			}
		}
	}
}

func TestExecChoosesTheContainerAsKubectlDoes(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.writeManifest(t, "two.yaml", twoContainerPod("two", false))
	sa.setStatus("two", runningContainers("app", "side"))
	sa.writeManifest(t, "annotated.yaml", twoContainerPod("annotated", true))
	sa.setStatus("annotated", runningContainers("app"))
	sa.writeManifest(t, "done.yaml", podManifest("done", "default"))
	sa.setStatus("done", v1.PodStatus{Phase: v1.PodSucceeded})

	var out, errOut bytes.Buffer
	exec := func(pod, container string) error {
		out.Reset()
		errOut.Reset()
		return Exec(context.Background(), sa.conn, ExecOptions{Pod: pod, Container: container, Command: []string{"echo", "x"}, Out: &out, ErrOut: &errOut})
	}
	if err := exec("two", ""); err != nil || errOut.String() != "Defaulted container \"app\" out of: app, side\n" {
		t.Errorf("no container named: %v; stderr %q", err, errOut.String())
	}
	if err := exec("two", "nope"); err == nil || err.Error() != "container nope is not valid for pod two out of: app, side" {
		t.Errorf("an unknown container: %v", err)
	}
	// The annotation's default is not running: the server's words.
	if err := exec("annotated", ""); err == nil || !strings.Contains(err.Error(), `container not found ("side")`) {
		t.Errorf("the annotated default, not running: %v", err)
	}
	if err := exec("done", ""); err == nil || err.Error() != "cannot exec into a container in a completed pod; current phase is Succeeded" {
		t.Errorf("a completed pod: %v", err)
	}
	if err := exec("missing", ""); err == nil || !strings.Contains(err.Error(), `pods "missing" not found`) {
		t.Errorf("a missing pod: %v", err)
	}
}

func TestExecWithTTYButNoTerminalSaysSo(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	var out, errOut bytes.Buffer
	err := Exec(context.Background(), sa.conn, ExecOptions{Pod: "web", Command: []string{"cat"}, Stdin: true, TTY: true, In: strings.NewReader("x"), Out: &out, ErrOut: &errOut})
	if err != nil || out.String() != "x" || !strings.Contains(errOut.String(), "Unable to use a TTY - input is not a terminal") {
		t.Fatalf("exec -it from a pipe: %v, stdout %q, stderr %q", err, out.String(), errOut.String())
	}
}

func TestAttachJoinsTheMainProcess(t *testing.T) {
	sa := startStreamingAgent(t, nil)
	sa.runtime.AttachProgram = streamingtest.Repl
	sa.writeManifest(t, "web.yaml", podManifest("web", "default"))
	sa.setStatus("web", running("10.0.0.1", 0))
	var out, errOut bytes.Buffer
	err := Attach(context.Background(), sa.conn, AttachOptions{Pod: "web", Stdin: true, TTY: true, In: strings.NewReader("hello\n"), Out: &out, ErrOut: &errOut})
	if err != nil || out.String() != "echo: hello\nbye\n" {
		t.Fatalf("attach -i: %v, stdout %q, stderr %q", err, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "Unable to use a TTY - container app did not allocate one") {
		t.Errorf("attach -t to a container without tty: stderr %q", errOut.String())
	}
}
