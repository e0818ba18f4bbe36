package cri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// watchedClient dials the fake at path and runs its availability watcher
// until the test ends; the client logs into the returned buffer.
func watchedClient(t *testing.T, path string) (*Client, *testutil.SyncBuffer) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	client := dial(t, path, Config{Logger: slog.New(slog.NewTextHandler(logs, nil)), ListTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- client.WatchAvailability(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("WatchAvailability: %v", err)
		}
	})
	return client, logs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const (
	downLine = `msg="container runtime is unavailable`
	backLine = `msg="container runtime is back"`
)

func TestAvailabilityOneLineWhenTheRuntimeGoesAndOneWhenItIsBack(t *testing.T) {
	path := socketIn(t, "cri.sock")
	stop := serve(t, path, newFakeRuntime())
	client, logs := watchedClient(t, path)

	stop()
	for range 20 { // the agent's loops keep calling; none of it may log
		_, err := client.ListContainers(context.Background(), nil)
		if !IsUnavailable(err) {
			t.Fatalf("a call to a stopped runtime: %v, want Unavailable", err)
		}
	}
	waitFor(t, "the runtime to be marked down", func() bool { return !client.Available() })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := client.WaitAvailable(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitAvailable while the runtime is down: %v, want it to block until the deadline", err)
	}
	time.Sleep(availabilityMaxDelay + 500*time.Millisecond) // several probes fail meanwhile

	serve(t, path, newFakeRuntime())
	waitFor(t, "the runtime to be marked back", client.Available)
	if err := client.WaitAvailable(context.Background()); err != nil {
		t.Fatalf("WaitAvailable once the runtime is back: %v", err)
	}
	if _, err := client.ListContainers(context.Background(), nil); err != nil {
		t.Fatalf("a call once the runtime is back: %v", err)
	}
	if down, back := logs.Count(downLine), logs.Count(backLine); down != 1 || back != 1 {
		t.Fatalf("want one line when the runtime went and one when it came back, got %d and %d:\n%s", down, back, logs)
	}
	if !strings.Contains(logs.String(), "down=") {
		t.Errorf("the back line does not say how long the runtime was away:\n%s", logs)
	}
}

func TestAvailabilityIgnoresAFailedCallWhenTheRuntimeAnswers(t *testing.T) {
	path := socketIn(t, "cri.sock")
	fake := newFakeRuntime()
	fake.listCode = codes.Unavailable // one RPC fails, Version still answers
	serve(t, path, fake)
	client, logs := watchedClient(t, path)
	for range 5 {
		if _, err := client.ListContainers(context.Background(), nil); !IsUnavailable(err) {
			t.Fatalf("injected failure: %v", err)
		}
	}
	time.Sleep(500 * time.Millisecond) // the probes run meanwhile
	if !client.Available() || logs.Count(downLine) != 0 {
		t.Fatalf("a runtime that answers its probe was marked down:\n%s", logs)
	}
}

func TestWaitAvailableReturnsAtOnceWhileTheRuntimeAnswers(t *testing.T) {
	path := socketIn(t, "cri.sock")
	serve(t, path, newFakeRuntime())
	client, _ := watchedClient(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // even a canceled caller gets nil: nothing to wait for
	if err := client.WaitAvailable(ctx); err != nil {
		t.Fatalf("WaitAvailable: %v", err)
	}
}

func TestRuntimeGone(t *testing.T) {
	timedOut := &Error{Code: codes.DeadlineExceeded, causes: []error{context.DeadlineExceeded}}
	cases := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Unavailable, "connection refused"), true},
		{fmt.Errorf("listing: %w", status.Error(codes.Unavailable, "EOF")), true},
		{timedOut, true},
		{status.Error(codes.DeadlineExceeded, "the runtime's own deadline for its work"), false},
		{status.Error(codes.NotFound, "no such container"), false},
		{status.Error(codes.Unknown, "failed to create shim task"), false},
		{errors.New("not a gRPC error"), false},
	}
	for _, c := range cases {
		if got := runtimeGone(c.err); got != c.want {
			t.Errorf("runtimeGone(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// stateAtLine records, for each log line, whether the runtime read as
// available at the moment the line was written.
type stateAtLine struct {
	a     *availability
	mu    sync.Mutex
	lines []string
}

func (s *stateAtLine) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, fmt.Sprintf("available=%v %s", s.a.available(), strings.TrimSpace(string(p))))
	return len(p), nil
}

// TestAvailabilityLineComesBeforeTheChange: whoever sees the runtime go or
// come back (a test polling Available, a loop released from WaitAvailable
// that logs its own work) finds the watcher's line already written. Logged
// after the change, "container runtime is back" could follow the lines of
// the loops it released, and a caller could see the change without it.
func TestAvailabilityLineComesBeforeTheChange(t *testing.T) {
	a := newAvailability("unix:///run/cri.sock", nil, nil)
	sink := &stateAtLine{a: a}
	a.log = slog.New(slog.NewTextHandler(sink, nil))
	a.markDown(status.Error(codes.Unavailable, "connection refused"))
	a.markUp()
	if len(sink.lines) != 2 ||
		!strings.HasPrefix(sink.lines[0], "available=true ") || !strings.Contains(sink.lines[0], downLine) ||
		!strings.HasPrefix(sink.lines[1], "available=false ") || !strings.Contains(sink.lines[1], backLine) {
		t.Fatalf("want the down line written while the runtime still read as available and the back line while it still read as down, got:\n%s",
			strings.Join(sink.lines, "\n"))
	}
}
