package main

import (
	"context"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

func TestBusyPlan(t *testing.T) {
	tests := []struct {
		millicores int
		workers    int
		spin       time.Duration
	}{
		{0, 0, 0},
		{-5, 0, 0},
		{250, 1, 25 * time.Millisecond},
		{1000, 1, 100 * time.Millisecond},
		{1500, 2, 75 * time.Millisecond},
	}
	for _, tt := range tests {
		if workers, spin := busyPlan(tt.millicores); workers != tt.workers || spin != tt.spin {
			t.Errorf("busyPlan(%d) = %d workers spinning %s, want %d and %s", tt.millicores, workers, spin, tt.workers, tt.spin)
		}
	}
}

// TestBurnUsesCPU waits for burn(500) to have used 100ms of CPU, a fifth of
// a second's worth. Half a core takes that within a second on a quiet
// machine; a loaded one lends the burner less (25ms in a second at nice 19
// beside CPU hogs), so the wait has a generous deadline instead of a fixed
// one-second window. An idle process uses a few milliseconds in all that
// time.
func TestBurnUsesCPU(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := testutil.CPUTime(t)
	start := time.Now()
	burn(ctx, 500)
	for testutil.CPUTime(t)-before < 100*time.Millisecond {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("burn(500) used %s of CPU in %s, want about half of that", testutil.CPUTime(t)-before, time.Since(start).Round(time.Millisecond))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
