package cri

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

func TestDialWaitsForRuntimeThatStartsLate(t *testing.T) {
	path := socketIn(t, "late.sock")
	started := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		close(started)
	}()
	dialed := make(chan error, 1)
	var client *Client
	go func() {
		var err error
		client, err = Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 10 * time.Second})
		dialed <- err
	}()
	<-started
	serve(t, path, newFakeRuntime())
	if err := <-dialed; err != nil {
		t.Fatalf("Dial should have retried until the runtime came up: %v", err)
	}
	defer client.Close(context.Background())
	if client.RuntimeName() != "fake" || client.RuntimeVersion() != "0.0.1" {
		t.Errorf("runtime = %q %q, want the fake's Version reply", client.RuntimeName(), client.RuntimeVersion())
	}
	if want := "unix://" + path; client.Endpoint() != want {
		t.Errorf("Endpoint() = %q, want %q", client.Endpoint(), want)
	}
}

func TestDialGivesUpAfterConnectTimeout(t *testing.T) {
	path := socketIn(t, "absent.sock")
	start := time.Now()
	_, err := Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("Dial succeeded with no runtime listening")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Dial took %s despite a 300ms connect timeout", took)
	}
	want := "no CRI runtime answered at unix://" + path + " (no such file or directory): is the runtime running? check --runtime-endpoint"
	if err.Error() != want {
		t.Errorf("error =\n  %s\nwant\n  %s", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error should wrap context.DeadlineExceeded: %v", err)
	}
}

func TestDialStopsWhenContextIsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := Dial(ctx, Config{Endpoint: socketIn(t, "absent.sock"), ConnectTimeout: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial after cancel = %v, want an error wrapping context.Canceled", err)
	}
}

func TestDialRefusesRuntimeThatIsNotCRIv1(t *testing.T) {
	path := socketIn(t, "old.sock")
	fake := newFakeRuntime()
	fake.apiVersion = "v1alpha2"
	serve(t, path, fake)

	_, err := Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 5 * time.Second})
	if err == nil {
		t.Fatal("Dial accepted a v1alpha2 runtime")
	}
	for _, want := range []string{"unix://" + path, `speaks CRI "v1alpha2"`, `needs CRI "v1"`, "upgrade"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDialRefusesServerWithoutCRIv1Service(t *testing.T) {
	path := socketIn(t, "nocri.sock")
	serve(t, path, nil) // a gRPC server with no services at all

	_, err := Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "does not serve CRI v1") {
		t.Fatalf("Dial = %v, want an error saying the server does not serve CRI v1", err)
	}
	if strings.Contains(err.Error(), "rpc error") {
		t.Errorf("error leaks gRPC framing: %v", err)
	}
}

func TestAutoDetectErrorNamesEveryPathOnOneLine(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "containerd.sock")
	stale := filepath.Join(dir, "crio.sock")
	leaveStaleSocket(t, stale)

	_, err := Dial(context.Background(), Config{
		DetectEndpoints: []string{missing, "unix://" + stale},
		ConnectTimeout:  300 * time.Millisecond,
	})
	if err == nil {
		t.Fatal("Dial succeeded with no runtime at any detected endpoint")
	}
	want := "no CRI runtime answered at unix://" + missing + " (no such file or directory), unix://" + stale +
		" (connection refused): is containerd or CRI-O running? set --runtime-endpoint"
	if err.Error() != want {
		t.Errorf("error =\n  %s\nwant\n  %s", err, want)
	}
}

// leaveStaleSocket creates a socket file nobody listens on, as a crashed
// runtime leaves behind.
func leaveStaleSocket(t *testing.T, path string) {
	t.Helper()
	listener, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	listener.SetUnlinkOnClose(false)
	listener.Close()
}

func TestAutoDetectUsesFirstEndpointThatAnswers(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "containerd.sock")
	present := filepath.Join(dir, "crio.sock")
	serve(t, present, newFakeRuntime())

	client, err := Dial(context.Background(), Config{
		DetectEndpoints: []string{absent, present},
		ConnectTimeout:  5 * time.Second,
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer client.Close(context.Background())
	if want := "unix://" + present; client.Endpoint() != want {
		t.Errorf("Endpoint() = %q, want %q", client.Endpoint(), want)
	}
}

func TestDefaultEndpointsAreContainerdThenCRIO(t *testing.T) {
	got := strings.Join(DefaultEndpoints(), ",")
	if want := "unix:///run/containerd/containerd.sock,unix:///var/run/crio/crio.sock"; got != want {
		t.Errorf("DefaultEndpoints() = %s, want %s", got, want)
	}
}

func TestSocketPath(t *testing.T) {
	tests := []struct {
		endpoint string
		want     string // empty: an error is expected
	}{
		{"unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock"},
		{"/run/containerd/containerd.sock", "/run/containerd/containerd.sock"},
		{"unix:/var/run/crio/crio.sock", "/var/run/crio/crio.sock"},
		{"tcp://127.0.0.1:1234", ""},
		{"npipe:////./pipe/containerd", ""},
		{"run/containerd.sock", ""},
		{"unix://run/containerd.sock", ""},
		{"unix://", ""},
	}
	for _, tt := range tests {
		got, err := socketPath(tt.endpoint)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("socketPath(%q) = %q, want an error", tt.endpoint, got)
		case tt.want == "" && !strings.Contains(err.Error(), "unix:///path/to/socket"):
			t.Errorf("socketPath(%q) error %q does not show the expected form", tt.endpoint, err)
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("socketPath(%q) = %q, %v; want %q", tt.endpoint, got, err, tt.want)
		}
	}
}

func TestDialRejectsNegativeTimeout(t *testing.T) {
	_, err := Dial(context.Background(), Config{Endpoint: "/x.sock", CallTimeout: -time.Second})
	if err == nil || !strings.Contains(err.Error(), "CallTimeout") {
		t.Fatalf("Dial with a negative CallTimeout = %v, want an error naming CallTimeout", err)
	}
}

func TestAnswersSaysWhetherASocketAcceptsNowWithoutWaiting(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "up.sock")
	serve(t, present, newFakeRuntime())
	ctx := context.Background()
	for _, tc := range []struct {
		endpoint string
		want     bool
	}{
		{present, true},
		{"unix://" + present, true},
		{filepath.Join(dir, "absent.sock"), false},
		{"tcp://127.0.0.1:1", false},
	} {
		began := time.Now()
		if got := Answers(ctx, tc.endpoint); got != tc.want {
			t.Errorf("Answers(%s) = %v, want %v", tc.endpoint, got, tc.want)
		}
		if took := time.Since(began); took > answerTimeout {
			t.Errorf("Answers(%s) took %s: it must not wait for a runtime", tc.endpoint, took)
		}
	}
}

func TestDialWaitForRuntimeOutlastsConnectTimeoutAndSaysSoOnce(t *testing.T) {
	path := socketIn(t, "late.sock")
	logs := &testutil.SyncBuffer{}
	dialed := make(chan error, 1)
	var client *Client
	go func() {
		var err error
		client, err = Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 200 * time.Millisecond,
			WaitForRuntime: true, Logger: slog.New(slog.NewTextHandler(logs, nil))})
		dialed <- err
	}()
	time.Sleep(time.Second) // five connect timeouts
	select {
	case err := <-dialed:
		t.Fatalf("Dial gave up on a runtime it was told to wait for: %v", err)
	default:
	}
	serve(t, path, newFakeRuntime())
	if err := <-dialed; err != nil {
		t.Fatalf("Dial once the runtime is up: %v", err)
	}
	defer client.Close(context.Background())
	if n := logs.Count("not answering yet; waiting for it"); n != 1 {
		t.Errorf("want one line saying Dial waits, got %d:\n%s", n, logs)
	}
}

func TestDialWaitForRuntimeStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, Config{Endpoint: socketIn(t, "absent.sock"), WaitForRuntime: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial with an ended context: %v, want context.DeadlineExceeded", err)
	}
}

// TestDialWaitsForARuntimeThatAnswersBeforeItIsReady: a runtime just
// started accepts connections while its CRI service is still coming up
// (containerd 1.6: "server is not initialized yet"); Dial waits that out,
// saying so once, instead of failing the agent's start.
func TestDialWaitsForARuntimeThatAnswersBeforeItIsReady(t *testing.T) {
	path := socketIn(t, "starting.sock")
	fake := newFakeRuntime()
	fake.notReadyFor = 3
	serve(t, path, fake)
	logs := &testutil.SyncBuffer{}
	client, err := Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 10 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatalf("Dial to a runtime that became ready: %v", err)
	}
	defer client.Close(context.Background())
	if client.RuntimeName() != "fake" {
		t.Errorf("runtime = %q, want the fake's Version reply", client.RuntimeName())
	}
	if n := logs.Count("answers but is not ready yet; waiting for it"); n != 1 {
		t.Errorf("want one line saying Dial waits, got %d:\n%s", n, logs)
	}
}

// TestDialGivesUpOnARuntimeNeverReadyAfterConnectTimeout keeps the bound.
func TestDialGivesUpOnARuntimeNeverReadyAfterConnectTimeout(t *testing.T) {
	path := socketIn(t, "stuck.sock")
	fake := newFakeRuntime()
	fake.notReadyFor = 1 << 30
	serve(t, path, fake)
	_, err := Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "not initialized yet") {
		t.Fatalf("Dial = %v, want the runtime's last answer", err)
	}
}

// TestWaitForSocketKeepsEachReasonWhenTheDeadlineCutsAProbe: the deadline
// can end a probe half-way, or come together with the back-off timer so a
// whole round runs on an ended context; such a round learns nothing, and
// the error still names what the last real probe found. (Seen as "(no
// answer in time)" for both sockets of TestAutoDetectErrorNamesEveryPath-
// OnOneLine on a loaded machine.)
func TestWaitForSocketKeepsEachReasonWhenTheDeadlineCutsAProbe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := map[string]error{
		"/run/containerd.sock": os.NewSyscallError("connect", syscall.ENOENT),
		"/run/crio.sock":       os.NewSyscallError("connect", syscall.ECONNREFUSED),
	}
	probed := map[string]int{}
	probe := func(ctx context.Context, path string) error {
		probed[path]++
		if probed[path] == 1 {
			return first[path]
		}
		cancel() // the deadline, during the second round
		return ctx.Err()
	}
	_, results, err := waitForSocket(ctx, []string{"/run/containerd.sock", "/run/crio.sock"}, slog.New(slog.DiscardHandler), probe)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("waitForSocket = %v, want the context's end", err)
	}
	want := "unix:///run/containerd.sock (no such file or directory), unix:///run/crio.sock (connection refused)"
	if got := describeProbes(results); got != want {
		t.Errorf("probes = %s, want %s", got, want)
	}
}

// TestWaitForSocketLooksOnceWhenStarvedPastItsDeadline: a process starved
// for the whole ConnectTimeout, whether the deadline passed before its
// first probe or during it, still gets one answer from each socket, so the
// error names what it found there. (Seen as "(no answer in time)" for a
// missing socket in TestDialGivesUpAfterConnectTimeout and TestAutoDetect-
// ErrorNamesEveryPathOnOneLine at nice 19 beside CPU hogs.) A canceled
// caller gets no second look.
func TestWaitForSocketLooksOnceWhenStarvedPastItsDeadline(t *testing.T) {
	paths := []string{"/run/containerd.sock", "/run/crio.sock"}
	for name, deadline := range map[string]time.Time{
		"before the first probe": time.Now().Add(-time.Second),
		"during the first probe": time.Now().Add(20 * time.Millisecond),
	} {
		probed := map[string]int{}
		probe := func(ctx context.Context, path string) error {
			if probed[path]++; probed[path] == 1 {
				<-ctx.Done() // starved until the deadline
				return ctx.Err()
			}
			return os.NewSyscallError("connect", syscall.ENOENT)
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		_, results, err := waitForSocket(ctx, paths, slog.New(slog.DiscardHandler), probe)
		cancel()
		want := "unix:///run/containerd.sock (no such file or directory), unix:///run/crio.sock (no such file or directory)"
		if got := describeProbes(results); !errors.Is(err, context.DeadlineExceeded) || got != want {
			t.Errorf("deadline %s: waitForSocket = %v, %s; want the deadline and %s", name, err, got, want)
		}
	}

	canceled, stop := context.WithCancel(context.Background())
	stop()
	probes := 0
	_, results, err := waitForSocket(canceled, paths[:1], slog.New(slog.DiscardHandler), func(ctx context.Context, _ string) error {
		probes++
		return ctx.Err()
	})
	if got := describeProbes(results); !errors.Is(err, context.Canceled) || probes != 1 || got != "unix:///run/containerd.sock (no answer in time)" {
		t.Errorf("waitForSocket of a canceled caller = %v, %d probes, %s; want one probe that found nothing", err, probes, got)
	}
}

// TestDialPastItsDeadlineStillAsksTheRuntimeOnce: the version call gets its
// first look too, so a Dial starved past its deadline reports the
// runtime's own answer.
func TestDialPastItsDeadlineStillAsksTheRuntimeOnce(t *testing.T) {
	path := socketIn(t, "stuck.sock")
	fake := newFakeRuntime()
	fake.notReadyFor = 1 << 30
	serve(t, path, fake)
	late, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := Dial(late, Config{Endpoint: path, ConnectTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "not initialized yet") {
		t.Fatalf("Dial past its deadline = %v, want the runtime's answer", err)
	}
}

// TestDialGivesUpWithTheRuntimesLastRealAnswer: a version call the deadline
// cuts says nothing new; Dial reports the runtime's answer before it. (On
// a loaded machine TestDialGivesUpOnARuntimeNeverReadyAfterConnectTimeout
// got "the caller's deadline passed before the runtime answered" instead
// of "not initialized yet", 4 runs in 100 at nice 19 beside CPU hogs.)
func TestDialGivesUpWithTheRuntimesLastRealAnswer(t *testing.T) {
	path := socketIn(t, "stuck.sock")
	fake := newFakeRuntime()
	fake.notReadyFor = 1
	fake.versionHangs = true // the second call outlasts the deadline
	serve(t, path, fake)
	_, err := Dial(context.Background(), Config{Endpoint: path, ConnectTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "not initialized yet") {
		t.Fatalf("Dial = %v, want the runtime's last real answer", err)
	}
}
