package translate

import (
	"math"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

func TestClampGrace(t *testing.T) {
	tests := []struct {
		seconds, want int64
	}{
		{math.MinInt64, MinGracePeriodSeconds},
		{-1, MinGracePeriodSeconds},
		{0, MinGracePeriodSeconds},
		{1, MinGracePeriodSeconds},
		{2, 2},
		{30, 30},
		{MaxGracePeriodSeconds, MaxGracePeriodSeconds},
		{MaxGracePeriodSeconds + 1, MaxGracePeriodSeconds},
		{9223372036, MaxGracePeriodSeconds}, // × 1e9 fits a Duration; plus any margin it wraps
		{9223372037, MaxGracePeriodSeconds}, // × 1e9 wraps
		{math.MaxInt64, MaxGracePeriodSeconds},
	}
	for _, tt := range tests {
		if got := ClampGrace(tt.seconds); got != tt.want {
			t.Errorf("ClampGrace(%d) = %d, want %d", tt.seconds, got, tt.want)
		}
	}
}

func TestGraceDurationNeverWraps(t *testing.T) {
	longest := time.Duration(MaxGracePeriodSeconds) * time.Second
	tests := []struct {
		seconds int64
		want    time.Duration
	}{
		{-5, MinGracePeriodSeconds * time.Second},
		{30, 30 * time.Second},
		{9223372036, longest},
		{9223372037, longest},
		{math.MaxInt64, longest},
	}
	for _, tt := range tests {
		if got := GraceDuration(tt.seconds); got != tt.want {
			t.Errorf("GraceDuration(%d) = %s, want %s", tt.seconds, got, tt.want)
		}
	}
}

func TestGracePeriodSecondsOfAPod(t *testing.T) {
	tests := []struct {
		name string
		spec *int64
		want int64
	}{
		{"unset: the API's default", nil, 30},
		{"zero: the floor", new(int64(0)), MinGracePeriodSeconds},
		{"ordinary", new(int64(45)), 45},
		{"max int64: the ceiling", new(int64(math.MaxInt64)), MaxGracePeriodSeconds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &v1.Pod{Spec: v1.PodSpec{TerminationGracePeriodSeconds: tt.spec}}
			if got := PodGracePeriodSeconds(pod); got != tt.want {
				t.Errorf("gracePeriodSeconds = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestKillGrace(t *testing.T) {
	tests := []struct {
		name            string
		pod             int64
		deletion, probe *int64
		want            int64
	}{
		{"the pod's", 30, nil, nil, 30},
		{"the pod's, clamped", math.MaxInt64, nil, nil, MaxGracePeriodSeconds},
		{"a delete's replaces the pod's", 30, new(int64(5)), nil, 5},
		{"a delete's 0 gets the floor", 30, new(int64(0)), nil, MinGracePeriodSeconds},
		{"a delete's negative gets the floor", 30, new(int64(-1)), nil, MinGracePeriodSeconds},
		{"a delete's huge one is clamped", 30, new(int64(9223372036)), nil, MaxGracePeriodSeconds},
		{"a failed probe's wins", 30, new(int64(5)), new(int64(7)), 7},
		{"a failed probe's huge one is clamped", 30, nil, new(int64(math.MaxInt64)), MaxGracePeriodSeconds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KillGrace(tt.pod, tt.deletion, tt.probe); got != tt.want {
				t.Errorf("killGrace = %d, want %d", got, tt.want)
			}
		})
	}
}
