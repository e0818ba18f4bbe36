package prober

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// hookContainer is a container whose postStart and preStop are given.
func hookContainer(postStart, preStop *v1.LifecycleHandler) *v1.Container {
	return &v1.Container{Name: "web", Lifecycle: &v1.Lifecycle{PostStart: postStart, PreStop: preStop}}
}

func TestExecHookReturnsOutputAndFailsOnNonZeroExit(t *testing.T) {
	rt := newFakeRuntime()
	m, _, _ := testManager(t, rt)
	hook := &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"warmup", "--fast"}}}
	c := hookContainer(hook, nil)
	pod := testPod("u1", *c)

	msg, err := m.RunLifecycleHandler(context.Background(), pod, "10.0.0.1", "c1", c, hook)
	if err != nil || msg != "warmup ok" {
		t.Fatalf("passing hook: %q, %v", msg, err)
	}
	if rt.calls[0].timeout != 0 {
		t.Fatalf("a hook without deadline got runtime timeout %s, want none", rt.calls[0].timeout)
	}

	rt.fail("warmup", true)
	msg, err = m.RunLifecycleHandler(context.Background(), pod, "10.0.0.1", "c1", c, hook)
	if err == nil || err.Error() != `lifecycle.postStart: command ["warmup" "--fast"] exited with code 1` {
		t.Fatalf("failing hook error: %v", err)
	}
	wantMsg := `Exec lifecycle hook ([warmup --fast]) for Container "web" in Pod "default/pod-u1" failed - error: command ["warmup" "--fast"] exited with code 1, message: "warmup says no"`
	if msg != wantMsg {
		t.Fatalf("failing hook message:\n got %s\nwant %s", msg, wantMsg)
	}
}

func TestExecPreStopGetsTheRestOfTheGracePeriodAsTimeout(t *testing.T) {
	rt := newFakeRuntime()
	m, _, _ := testManager(t, rt)
	hook := &v1.LifecycleHandler{Exec: &v1.ExecAction{Command: []string{"drain"}}}
	c := hookContainer(nil, hook)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := m.RunLifecycleHandler(ctx, testPod("u1", *c), "10.0.0.1", "c1", c, hook); err != nil {
		t.Fatal(err)
	}
	if got := rt.calls[0].timeout; got <= 29*time.Second || got > 30*time.Second {
		t.Fatalf("preStop exec timeout %s, want the ~30s left of the grace period", got)
	}
}

func TestHTTPHookFailsOnlyWithoutAnswer(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		http.Error(w, "not now", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	m, _, _ := testManager(t, newFakeRuntime())
	hook := &v1.LifecycleHandler{HTTPGet: &v1.HTTPGetAction{Path: "/shutdown", Port: intstr.FromString("http")}}
	c := hookContainer(nil, hook)
	c.Ports = []v1.ContainerPort{{Name: "http", ContainerPort: int32(portOf(t, srv.URL))}}
	pod := testPod("u1", *c)

	// The kubelet does not look at the status of a hook's answer.
	msg, err := m.RunLifecycleHandler(context.Background(), pod, "127.0.0.1", "c1", c, hook)
	if err != nil || msg != "HTTP 503: not now" || len(paths) != 1 || paths[0] != "/shutdown" {
		t.Fatalf("hook answered 503: %q, %v, paths %v", msg, err, paths)
	}

	c.Ports[0].ContainerPort = int32(freePort(t))
	msg, err = m.RunLifecycleHandler(context.Background(), pod, "127.0.0.1", "c1", c, hook)
	if err == nil || !strings.Contains(err.Error(), "lifecycle.preStop.httpGet") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("refused hook error: %v", err)
	}
	if !strings.HasPrefix(msg, `HTTP lifecycle hook (/shutdown) for Container "web" in Pod "default/pod-u1" failed - error: `) {
		t.Fatalf("refused hook message: %s", msg)
	}
}

func TestHTTPSHookFallsBackToHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("bye")) }))
	defer srv.Close()
	m, _, _ := testManager(t, newFakeRuntime())
	hook := &v1.LifecycleHandler{HTTPGet: &v1.HTTPGetAction{Scheme: v1.URISchemeHTTPS, Port: intstr.FromInt(portOf(t, srv.URL))}}
	c := hookContainer(hook, nil)
	msg, err := m.RunLifecycleHandler(context.Background(), testPod("u1", *c), "127.0.0.1", "c1", c, hook)
	if err != nil || msg != "HTTP 200: bye" {
		t.Fatalf("HTTPS hook on a plain-HTTP server: %q, %v", msg, err)
	}
}

func TestSleepHookWaitsAndFailsWhenCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _, _ := testManager(t, newFakeRuntime())
		hook := &v1.LifecycleHandler{Sleep: &v1.SleepAction{Seconds: 5}}
		c := hookContainer(nil, hook)
		pod := testPod("u1", *c)
		began := time.Now()
		if _, err := m.RunLifecycleHandler(context.Background(), pod, "", "c1", c, hook); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took != 5*time.Second {
			t.Fatalf("sleep hook took %s, want 5s", took)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		msg, err := m.RunLifecycleHandler(ctx, pod, "", "c1", c, hook)
		if err == nil || !strings.Contains(err.Error(), "lifecycle.preStop.sleep: the container was stopped before the 5s sleep ended") ||
			!strings.HasPrefix(msg, "Sleep lifecycle hook (5) for Container \"web\"") {
			t.Fatalf("cut-short sleep: %q, %v", msg, err)
		}
	})
}

func TestHookWithoutHandlerIsAnError(t *testing.T) {
	m, _, _ := testManager(t, newFakeRuntime())
	hook := &v1.LifecycleHandler{TCPSocket: &v1.TCPSocketAction{Port: intstr.FromInt(80)}}
	c := hookContainer(hook, nil)
	_, err := m.RunLifecycleHandler(context.Background(), testPod("u1", *c), "10.0.0.1", "c1", c, hook)
	if err == nil || !strings.Contains(err.Error(), "lifecycle.postStart: no handler to run: give exec, httpGet or sleep") {
		t.Fatalf("tcpSocket hook: %v", err)
	}
}
