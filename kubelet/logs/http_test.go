package logs

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeLocator serves a fixed set of pods: "ns/pod" → containers.
type fakeLocator struct {
	mu   sync.Mutex
	pods map[string][]ContainerLogInfo
}

func (l *fakeLocator) LocateContainer(_ context.Context, ns, pod, container string) (ContainerLogInfo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	containers, ok := l.pods[ns+"/"+pod]
	if !ok {
		return ContainerLogInfo{}, fmt.Errorf("pod %s/%s: %w", ns, pod, ErrNotFound)
	}
	var names []string
	for _, c := range containers {
		names = append(names, c.Name)
	}
	if container == "" {
		if len(containers) > 1 {
			return ContainerLogInfo{}, &ContainerChoiceError{Pod: pod, Containers: names}
		}
		container = names[0]
	}
	for _, c := range containers {
		if c.Name == container {
			c.Containers = names
			return c, nil
		}
	}
	return ContainerLogInfo{}, fmt.Errorf("container %q in pod %s/%s: %w", container, ns, pod, ErrNotFound)
}

func (l *fakeLocator) setRunning(ns, pod, container string, running bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, c := range l.pods[ns+"/"+pod] {
		if c.Name == container {
			l.pods[ns+"/"+pod][i].Running = running
		}
	}
}

// handlerFixture is a server with pod "default/web" (containers app and
// sidecar) and pod "default/solo" (one container, a previous instance).
type handlerFixture struct {
	locator *fakeLocator
	server  *httptest.Server
	appLog  string
	// served is signalled after each request the handler finished.
	served chan struct{}
}

func newHandlerFixture(t testing.TB, config ...HandlerConfig) *handlerFixture {
	t.Helper()
	root := t.TempDir()
	logFile := func(rel, content string) string {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		writeFile(t, p, content)
		return p
	}
	f := &handlerFixture{served: make(chan struct{}, 16)}
	f.appLog = logFile("default_web_1/app/0.log", fullLines("app", 0, 3))
	sidecar := logFile("default_web_1/sidecar/0.log", fullLines("side", 0, 2))
	soloPrev := logFile("default_solo_2/main/0.log", fullLines("before", 0, 2))
	solo := logFile("default_solo_2/main/1.log", fullLines("after", 0, 1))
	f.locator = &fakeLocator{pods: map[string][]ContainerLogInfo{
		"default/web": {
			{Name: "app", ContainerID: "a1", LogPath: f.appLog, Running: true},
			{Name: "sidecar", ContainerID: "s1", LogPath: sidecar, Running: false},
		},
		"default/solo":    {{Name: "main", ContainerID: "m2", LogPath: solo, PreviousLogPath: soloPrev}},
		"default/waiting": {{Name: "init"}},
	}}
	cfg := HandlerConfig{}
	if len(config) > 0 {
		cfg = config[0]
	}
	cfg.Locator, cfg.CheckInterval = f.locator, 10*time.Millisecond
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { f.served <- struct{}{} }()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.server.Close)
	return f
}

func (f *handlerFixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(f.server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHandlerServesLogs(t *testing.T) {
	f := newHandlerFixture(t)
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/containerLogs/default/web/app", 200, "app0\napp1\napp2\n"},
		{"/containerLogs/default/web/app?tailLines=1&timestamps=true", 200, "2024-05-01T10:00:02Z app2\n"},
		{"/containerLogs/default/web/app?limitBytes=7", 200, "app0\nap"},
		{"/containerLogs/default/web/app?sinceTime=2024-05-01T10:00:01Z", 200, "app1\napp2\n"},
		{"/containerLogs/default/solo", 200, "after0\n"},
		{"/containerLogs/default/solo/", 200, "after0\n"},
		{"/containerLogs/default/solo/main?previous=true", 200, "before0\nbefore1\n"},
		{"/containerLogs/default/web?allContainers=true&prefix=true", 200, "[pod/web/app] app0\n[pod/web/app] app1\n[pod/web/app] app2\n[pod/web/sidecar] side0\n[pod/web/sidecar] side1\n"},
		{"/containerLogs/default/web", 400, "a container name must be specified for pod web, choose one of: [app sidecar]\n"},
		{"/containerLogs/default/web/app?previous=true", 400, "previous terminated container \"app\" in pod default/web not found\n"},
		{"/containerLogs/default/waiting", 400, "container \"init\" in pod default/waiting is waiting to start\n"},
		{"/containerLogs/default/nope/app", 404, "pod default/nope: not found\n"},
		{"/containerLogs/default/web/db", 404, "container \"db\" in pod default/web: not found\n"},
		{"/containerLogs/default/web/app?tailLines=-1", 400, "query parameter tailLines=\"-1\" must be an integer >= 0\n"},
		{"/containerLogs/default/web/app?sinceSeconds=5&sinceTime=2024-05-01T10:00:01Z", 400, "query parameters sinceSeconds and sinceTime are both set: give only one\n"},
		{"/containerLogs/default/web/app?follow=maybe", 400, "query parameter follow=\"maybe\" is not a boolean: use true or false\n"},
	}
	for _, tt := range tests {
		status, body := f.get(t, tt.path)
		if status != tt.wantStatus || body != tt.wantBody {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, status, body, tt.wantStatus, tt.wantBody)
		}
	}
}

func TestHandlerReportsMissingLogFile(t *testing.T) {
	f := newHandlerFixture(t)
	os.Remove(f.appLog)
	status, body := f.get(t, "/containerLogs/default/web/app")
	if status != 404 || !strings.Contains(body, f.appLog) {
		t.Errorf("GET deleted log = %d %q, want 404 naming the file", status, body)
	}
}

func TestHandlerFollowStreamsUntilContainerStops(t *testing.T) {
	f := newHandlerFixture(t)
	resp, err := http.Get(f.server.URL + "/containerLogs/default/web/app?follow=true&tailLines=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	expectLine(t, lines, "app2\n")
	appendFile(t, f.appLog, fullLines("app", 3, 4))
	expectLine(t, lines, "app3\n")
	f.locator.setRunning("default", "web", "app", false)
	rest, err := io.ReadAll(lines)
	if err != nil || len(rest) != 0 {
		t.Errorf("after stop: %q, %v; want a clean end", rest, err)
	}
}

func expectLine(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		line, _ := r.ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if line != want {
			t.Fatalf("line = %q, want %q", line, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no line within 5s, want %q", want)
	}
}

// When the client disconnects from a follow, the handler must return and
// release its goroutines, its inotify watcher and its open log file.
func TestHandlerFollowReleasesEverythingWhenClientLeaves(t *testing.T) {
	f := newHandlerFixture(t)
	// Warm up the server and client so their pooled goroutines exist.
	f.get(t, "/containerLogs/default/web/app")
	<-f.served
	baseGoroutines, baseFDs := runtime.NumGoroutine(), openFDs(t)

	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.server.URL+"/containerLogs/default/web/app?follow=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(resp.Body)
	expectLine(t, lines, "app0\n")
	waitFor(t, "the follower's inotify watcher", func() bool { return openFDs(t)["inotify"] == baseFDs["inotify"]+1 })
	cancel()
	resp.Body.Close()
	select {
	case <-f.served:
	case <-time.After(5 * time.Second):
		t.Fatal("handler still running 5s after the client left")
	}
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, "goroutines and fds to return to baseline", func() bool {
		fds := openFDs(t)
		return runtime.NumGoroutine() <= baseGoroutines && fds["inotify"] == baseFDs["inotify"] && fds["file"] <= baseFDs["file"]
	})
}

// openFDs counts this process's inotify instances and open regular files.
func openFDs(t *testing.T) map[string]int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	counts := map[string]int{}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		switch {
		case err != nil:
		case target == "anon_inode:inotify":
			counts["inotify"]++
		case strings.HasPrefix(target, "/"):
			counts["file"]++
		}
	}
	return counts
}

func TestHandlerFollowsAllContainersSideBySide(t *testing.T) {
	f := newHandlerFixture(t)
	f.locator.setRunning("default", "web", "sidecar", true)
	resp, err := http.Get(f.server.URL + "/containerLogs/default/web?allContainers=true&follow=true&prefix=true&tailLines=0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	appendFile(t, f.appLog, fullLines("app", 3, 4))
	expectLine(t, lines, "[pod/web/app] app3\n")
	f.locator.setRunning("default", "web", "app", false)
	f.locator.setRunning("default", "web", "sidecar", false)
	if rest, err := io.ReadAll(lines); err != nil || len(rest) != 0 {
		t.Errorf("after stop: %q, %v", rest, err)
	}
}

func TestNewHandlerRequiresLocator(t *testing.T) {
	if _, err := NewHandler(HandlerConfig{}); err == nil {
		t.Error("NewHandler without Locator succeeded")
	}
}

// Follows are bounded: past MaxFollows the handler answers 429 naming the
// cap, and a slot freed by an ended follow can be taken again.
func TestHandlerRefusesFollowsBeyondTheCap(t *testing.T) {
	f := newHandlerFixture(t, HandlerConfig{MaxFollows: 2})
	follow := func() (*http.Response, func()) {
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.server.URL+"/containerLogs/default/web/app?follow=true", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, func() { cancel(); resp.Body.Close(); <-f.served }
	}
	_, end1 := follow()
	_, end2 := follow()
	defer end2()
	status, body := f.get(t, "/containerLogs/default/web/app?follow=true")
	<-f.served
	if status != http.StatusTooManyRequests || !strings.Contains(body, "2 log follows") {
		t.Errorf("third follow = %d %q, want 429 naming the cap of 2", status, body)
	}
	if status, _ := f.get(t, "/containerLogs/default/web/app"); status != 200 {
		t.Errorf("a plain read past the follow cap = %d, want 200", status)
	}
	<-f.served
	end1()
	resp, end3 := follow()
	defer end3()
	if resp.StatusCode != 200 {
		t.Errorf("follow after one ended = %d, want 200", resp.StatusCode)
	}
}
