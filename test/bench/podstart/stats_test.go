package main

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	for _, tc := range []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ds(7), 95, 7 * time.Millisecond},
		{"median of seven, unsorted", ds(9, 1, 5, 3, 7, 2, 8), 50, 5 * time.Millisecond},
		{"p95 of 100", ds(hundred...), 95, 95 * time.Millisecond},
		{"p100", ds(3, 1, 2), 100, 3 * time.Millisecond},
		{"p95 of 20 is the 19th", ds(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 95, 19 * time.Millisecond},
	} {
		if got := percentile(tc.ds, tc.p); got != tc.want {
			t.Errorf("%s: percentile(%v) = %s, want %s", tc.name, tc.p, got, tc.want)
		}
	}
	in := ds(3, 1, 2)
	percentile(in, 50)
	if in[0] != 3*time.Millisecond {
		t.Errorf("percentile sorted its input: %v", in)
	}
}

func TestLongestAndRatio(t *testing.T) {
	if got := longest([]time.Duration{3, 9, 4}); got != 9 {
		t.Errorf("longest = %v, want 9", got)
	}
	if got := ratio(114, 100); got != "1.14x" {
		t.Errorf("ratio = %s, want 1.14x", got)
	}
	if got := ratio(1, 0); got != "-" {
		t.Errorf("ratio over zero = %s, want -", got)
	}
}
