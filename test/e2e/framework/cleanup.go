package framework

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/cri"
)

// cleanupTimeout bounds one cleanup step; a stop waits out a grace period.
const cleanupTimeout = time.Minute

// Context returns a context for the test's body that ends after d or when
// the test ends, whichever comes first. It is already canceled when
// cleanups run; cleanups get their own (see Cleanup).
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// Cleanup registers fn to run when the test ends, pass or fail, with a
// fresh one-minute context. An error fails the test: something the test
// made would be left behind.
func Cleanup(t testing.TB, what string, fn func(ctx context.Context) error) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := fn(ctx); err != nil {
			t.Errorf("cleanup: %s: %v", what, err)
		}
	})
}

// DialRuntime connects minikubelet's CRI client to the test bed's runtime
// and closes it when the test ends. The client logs into the test log.
func DialRuntime(t testing.TB, env *Env) *cri.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := cri.Dial(ctx, cri.Config{
		Endpoint: env.RuntimeEndpoint,
		Logger:   TestLogger(t),
	})
	if err != nil {
		t.Fatalf("connecting to the test bed runtime: %v (is it up? `sudo test/testbed/up.sh`)", err)
	}
	Cleanup(t, "close CRI client", client.Close)
	return client
}

// TestLogger returns a slog.Logger that writes into the test's log, so its
// lines appear next to the test's own when it fails or runs with -v.
func TestLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
