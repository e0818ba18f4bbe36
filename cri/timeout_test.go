package cri

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestClampTimeoutSeconds(t *testing.T) {
	tests := []struct {
		seconds, want int64
	}{
		{math.MinInt64, 0},
		{-1, 0},
		{0, 0},
		{30, 30},
		{MaxTimeoutSeconds - 1, MaxTimeoutSeconds - 1},
		{MaxTimeoutSeconds, MaxTimeoutSeconds},
		{MaxTimeoutSeconds + 1, MaxTimeoutSeconds},
		{9223372036, MaxTimeoutSeconds}, // the largest whole seconds a Duration holds
		{9223372037, MaxTimeoutSeconds}, // × 1e9 wraps negative
		{math.MaxInt64, MaxTimeoutSeconds},
	}
	for _, tt := range tests {
		if got := clampTimeoutSeconds(tt.seconds); got != tt.want {
			t.Errorf("clampTimeoutSeconds(%d) = %d, want %d", tt.seconds, got, tt.want)
		}
	}
}

func TestClampTimeout(t *testing.T) {
	longest := time.Duration(MaxTimeoutSeconds) * time.Second
	tests := []struct {
		timeout, want time.Duration
	}{
		{math.MinInt64, 0},
		{-time.Second, 0},
		{0, 0},
		{1500 * time.Millisecond, 1500 * time.Millisecond},
		{longest, longest},
		{longest + 1, longest},
		{math.MaxInt64, longest},
	}
	for _, tt := range tests {
		if got := clampTimeout(tt.timeout); got != tt.want {
			t.Errorf("clampTimeout(%d) = %d, want %d", tt.timeout, got, tt.want)
		}
	}
}

func TestCallLimitNeverWraps(t *testing.T) {
	longest := time.Duration(MaxTimeoutSeconds) * time.Second
	tests := []struct {
		name       string
		base, wait time.Duration
		want       time.Duration
	}{
		{"no wait", time.Minute, 0, time.Minute},
		{"negative wait counts as none", time.Minute, -time.Hour, time.Minute},
		{"grace plus margin", 2 * time.Minute, 30 * time.Second, 150 * time.Second},
		{"the longest timeout plus margin", 2 * time.Minute, longest, longest + 2*time.Minute},
		{"sum just fits", math.MaxInt64 - time.Second, time.Second, math.MaxInt64},
		{"sum overflows: saturates", 2 * time.Minute, math.MaxInt64 - time.Minute, math.MaxInt64},
		{"both huge: saturates", math.MaxInt64, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := callLimit(tt.base, tt.wait); got != tt.want {
				t.Errorf("callLimit(%s, %s) = %s, want %s", tt.base, tt.wait, got, tt.want)
			}
		})
	}
}

// TestStopContainerWithHugeGrace: whatever grace period the caller gives,
// the runtime gets a timeout it can turn into a Duration, and the call a
// deadline in the future (a wrapped, negative one fails before it is made).
func TestStopContainerWithHugeGrace(t *testing.T) {
	path := socketIn(t, "stop.sock")
	fake := newFakeRuntime()
	serve(t, path, fake)
	client := dial(t, path, Config{CallTimeout: time.Minute})
	longest := time.Duration(MaxTimeoutSeconds) * time.Second

	tests := []struct {
		grace       int64
		wantTimeout int64
		wantBudget  time.Duration
	}{
		{-5, 0, time.Minute},
		{30, 30, time.Minute + 30*time.Second},
		{9223372036, MaxTimeoutSeconds, time.Minute + longest},
		{math.MaxInt64, MaxTimeoutSeconds, time.Minute + longest},
	}
	for _, tt := range tests {
		if err := client.StopContainer(context.Background(), "c1", tt.grace); err != nil {
			t.Fatalf("StopContainer(grace %d): %v", tt.grace, err)
		}
		fake.mu.Lock()
		got := fake.stopTimeout
		fake.mu.Unlock()
		if got != tt.wantTimeout {
			t.Errorf("StopContainer(grace %d) sent the runtime Timeout %d, want %d", tt.grace, got, tt.wantTimeout)
		}
		if budget := fake.budget(t, "StopContainer"); budget > tt.wantBudget || budget < tt.wantBudget-2*time.Second {
			t.Errorf("StopContainer(grace %d) reached the runtime with %s left, want about %s", tt.grace, budget, tt.wantBudget)
		}
	}
}

func TestExecSyncWithHugeTimeout(t *testing.T) {
	path := socketIn(t, "exec.sock")
	fake := newFakeRuntime()
	serve(t, path, fake)
	client := dial(t, path, Config{CallTimeout: time.Minute})
	if _, _, err := client.ExecSync(context.Background(), "c1", []string{"true"}, math.MaxInt64); err != nil {
		t.Fatalf("ExecSync with the longest Duration as its timeout: %v", err)
	}
	want := time.Minute + time.Duration(MaxTimeoutSeconds)*time.Second
	if budget := fake.budget(t, "ExecSync"); budget > want || budget < want-2*time.Second {
		t.Errorf("ExecSync reached the runtime with %s left, want about %s", budget, want)
	}
}
