package main

import (
	"math"
	"strings"
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

// The curve puts the agent's CPU at rest beside the floor's relist alone
// when the floor's was measured, so the table shows what the agent adds.
func TestCurveShowsTheFloorsCPUAtRestBesideTheAgents(t *testing.T) {
	var out strings.Builder
	r := scaleResult{n: 110, steady: steadyResult{cpuPercent: 0.734}}
	r.floor.add(roundResult{restCPU: 0.312})
	printCurve(&out, "containerd", []scaleResult{r})
	if !strings.Contains(out.String(), "| 0.73 / 0.31 % |") {
		t.Errorf("curve without the floor's CPU at rest:\n%s", out.String())
	}
	out.Reset()
	printCurve(&out, "containerd", []scaleResult{{n: 1, steady: steadyResult{cpuPercent: 0.5}}})
	if !strings.Contains(out.String(), "| 0.50 % |") {
		t.Errorf("curve without a floor figure:\n%s", out.String())
	}
}
