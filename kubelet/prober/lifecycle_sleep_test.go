package prober

import (
	"testing"
	"time"
)

func TestSleepActionDurationSaturates(t *testing.T) {
	tests := []struct {
		seconds int64
		want    time.Duration
	}{
		{0, 0},
		{-5, 0},
		{30, 30 * time.Second},
		{9223372036, 9223372036 * time.Second},
		{9223372037, 9223372036 * time.Second},
		{1<<63 - 1, 9223372036 * time.Second},
	}
	for _, tt := range tests {
		if got := sleepActionDuration(tt.seconds); got != tt.want || got < 0 {
			t.Errorf("sleepActionDuration(%d) = %s, want %s", tt.seconds, got, tt.want)
		}
	}
}
