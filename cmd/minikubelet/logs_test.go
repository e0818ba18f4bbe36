package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/kubelet/logs"
)

// podLocator serves pod default/web with containers app and sidecar, both
// stopped, whose logs are files in a temporary directory.
type podLocator struct{ dir string }

func (l podLocator) LocateContainer(_ context.Context, ns, pod, container string) (logs.ContainerLogInfo, error) {
	names := []string{"app", "sidecar"}
	if ns != "default" || pod != "web" {
		return logs.ContainerLogInfo{}, fmt.Errorf("pod %s/%s: %w", ns, pod, logs.ErrNotFound)
	}
	if container == "" {
		return logs.ContainerLogInfo{}, &logs.ContainerChoiceError{Pod: pod, Containers: names}
	}
	return logs.ContainerLogInfo{Name: container, ContainerID: container + "-id", LogPath: filepath.Join(l.dir, container, "0.log"), Containers: names}, nil
}

func newLogServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range []string{"app", "sidecar"} {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		content := fmt.Sprintf("2024-05-01T10:00:00Z stdout F %s line 1\n2024-05-01T10:00:01Z stderr P %s li\n2024-05-01T10:00:02Z stderr F ne 2\n", c, c)
		if err := os.WriteFile(filepath.Join(dir, c, "0.log"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := logs.NewHandler(logs.HandlerConfig{Locator: podLocator{dir}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// runLogs runs `minikubelet logs ARGS` and returns its output and error.
func runLogs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newLogsCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestLogsCommandPrintsContainerLog(t *testing.T) {
	server := newLogServer(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"web", "-c", "app"}, "app line 1\napp line 2\n"},
		{[]string{"web", "-c", "app", "--tail", "1", "--timestamps"}, "2024-05-01T10:00:02Z app line 2\n"},
		{[]string{"web", "-c", "sidecar", "-f", "--since-time", "2024-05-01T10:00:02Z"}, "sidecar line 2\n"},
		{[]string{"web", "--all-containers", "--prefix", "--tail", "1"}, "[pod/web/app] app line 2\n[pod/web/sidecar] sidecar line 2\n"},
		{[]string{"-n", "default", "web", "-c", "app", "--limit-bytes", "5"}, "app l"},
	}
	for _, tt := range tests {
		got, err := runLogs(t, append(tt.args, "--server", server)...)
		if err != nil || got != tt.want {
			t.Errorf("logs %v = %q, %v; want %q", tt.args, got, err, tt.want)
		}
	}
}

func TestLogsCommandErrors(t *testing.T) {
	server := newLogServer(t)
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"web"}, "a container name must be specified for pod web, choose one of: [app sidecar]"},
		{[]string{"nope"}, "pod default/nope: not found"},
		{[]string{"web", "-c", "app", "--since", "5m", "--since-time", "2024-05-01T10:00:00Z"}, "--since and --since-time both given"},
		{[]string{"web", "-c", "app", "--all-containers"}, "--container and --all-containers both given"},
		{[]string{"web", "-c", "app", "--tail", "-2"}, "--tail -2"},
		{[]string{"web", "-c", "app", "--since-time", "yesterday"}, "--since-time \"yesterday\": give an RFC3339 time"},
		{[]string{}, "accepts 1 arg(s)"},
	}
	for _, tt := range tests {
		_, err := runLogs(t, append(tt.args, "--server", server)...)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("logs %v error = %v, want %q", tt.args, err, tt.wantErr)
		}
	}
}

func TestLogsCommandExplainsUnreachableServer(t *testing.T) {
	_, err := runLogs(t, "web", "--server", "http://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "cannot reach minikubelet at http://127.0.0.1:1") {
		t.Errorf("error = %v", err)
	}
}

func TestLogsCommandSendsSinceAsSeconds(t *testing.T) {
	fl := logsFlags{tail: -1, since: 90 * time.Second}
	opts, err := fl.fetchOptions("web")
	if err != nil || opts.Options.Since != 90*time.Second || opts.Options.Tail {
		t.Errorf("fetchOptions = %+v, %v", opts, err)
	}
}
