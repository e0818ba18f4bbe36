package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// runPortForward runs the command with args until ctx ends.
func runPortForward(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	cmd := newPortForwardCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err = cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestPortForwardCommandRejectsBadFlags(t *testing.T) {
	tests := map[string][]string{
		"--direct":                   {"--direct", "sometimes", "web", "80"},
		"--log-level":                {"--log-level", "loud", "web", "80"},
		"requires at least 2 arg(s)": {"web"},
	}
	for mentioned, args := range tests {
		if _, _, err := runPortForward(context.Background(), args...); err == nil || !strings.Contains(err.Error(), mentioned) {
			t.Errorf("port-forward %v = %v; want an error mentioning %s", args, err, mentioned)
		}
	}
}

// TestPortForwardCommandForwardsAndStopsOnCancel runs the command against
// a stand-in agent whose pod IP is loopback, so the direct path reaches a
// local server; cancel plays Ctrl-C.
func TestPortForwardCommandForwardsAndStopsOnCancel(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hit web")) }))
	defer app.Close()
	_, appPort, _ := net.SplitHostPort(app.Listener.Addr().String())
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pods" {
			http.NotFound(w, r)
			return
		}
		pod := v1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "u1"}, Status: v1.PodStatus{Phase: v1.PodRunning, PodIP: "127.0.0.1"}}
		_ = json.NewEncoder(w).Encode(v1.PodList{Items: []v1.Pod{pod}})
	}))
	defer agent.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, lines := io.Pipe()
	cmd := newPortForwardCommand()
	cmd.SetOut(lines)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"-n", "shop", "--server", agent.URL, "--address", "127.0.0.1", "--direct", "always", "pod/web", ":" + appPort})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); lines.Close() }()

	first, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no Forwarding line: %v (command: %v)", err, <-done)
	}
	m := regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+) -> (\d+)\n$`).FindStringSubmatch(first)
	if m == nil || m[2] != appPort {
		t.Fatalf("first line %q; want kubectl's \"Forwarding from 127.0.0.1:N -> %s\"", first, appPort)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	resp, err := http.Get("http://" + m[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hit web" {
		t.Fatalf("through the forward: %q", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("port-forward after cancel = %v, want nil (a clean Ctrl-C)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("port-forward did not stop within 5s of cancel")
	}
}
