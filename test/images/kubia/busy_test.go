package main

import (
	"context"
	"syscall"
	"testing"
	"time"
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

func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		t.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func TestBurnUsesCPU(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	before := cpuTime(t)
	burn(ctx, 500)
	time.Sleep(time.Second)
	cancel()
	// Half a core for a second is 500ms; a loaded machine may give less,
	// an idle process far less still.
	if used := cpuTime(t) - before; used < 100*time.Millisecond {
		t.Errorf("burn(500) used %s of CPU in a second, want about 500ms", used)
	}
}
