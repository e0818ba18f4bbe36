package main

import (
	"math"
	"testing"
)

func TestPerPodIsTheSlopeBetweenTheSmallestAndLargestCount(t *testing.T) {
	// 25 MiB at 1 pod, 36 MiB at 111: 0.1 MiB per added pod, whatever the
	// points between and their order say.
	slope, ok := perPod([]point{{20, 99}, {111, 36}, {1, 25}, {50, 0}})
	if !ok || math.Abs(slope-0.1) > 1e-9 {
		t.Errorf("perPod = %v, %v; want 0.1, true", slope, ok)
	}
	if _, ok := perPod([]point{{20, 1}, {20, 2}}); ok {
		t.Error("one pod count gave a slope")
	}
	if _, ok := perPod(nil); ok {
		t.Error("no points gave a slope")
	}
}
