package main

import (
	"slices"
	"testing"
	"time"
)

func TestPendingRecordsTheFirstTimeEachPodIsSeen(t *testing.T) {
	p := newPending([]string{"a", "b", "c"})
	p.mark(map[string]bool{"a": true, "other": true}, true, 10*time.Millisecond)
	p.mark(map[string]bool{"a": true, "c": true}, true, 20*time.Millisecond)
	if p.left != 1 || !slices.Equal(p.missing(10), []string{"b"}) {
		t.Fatalf("left %d, missing %v; want b only", p.left, p.missing(10))
	}
	p.mark(map[string]bool{"b": true}, true, 30*time.Millisecond)
	want := []time.Duration{10 * time.Millisecond, 30 * time.Millisecond, 20 * time.Millisecond}
	if p.left != 0 || !slices.Equal(p.times, want) {
		t.Errorf("times %v, left %d; want %v, 0", p.times, p.left, want)
	}
}

func TestPendingWaitsForAbsence(t *testing.T) {
	p := newPending([]string{"a", "b"})
	p.mark(map[string]bool{"a": true}, false, 0) // at once: still recorded, as non-zero
	if p.left != 1 || p.times[1] <= 0 {
		t.Fatalf("after b went: left %d, times %v", p.left, p.times)
	}
	if got := newPending([]string{"x", "y", "z"}).missing(2); !slices.Equal(got, []string{"x", "y", "and 1 more"}) {
		t.Errorf("missing(2) = %v", got)
	}
}
