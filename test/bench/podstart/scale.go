package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// standardCurve are the pod counts of the scale curve: one pod, the 20 of
// the first figures, a middle point and the kubelet's default maxPods.
var standardCurve = []int{1, 20, 50, 110}

// parseScale reads -scale: a list of pod counts ("1,20,50,110"), or one
// count N meaning the standard curve up to N ("20" is 1 and 20, "110" the
// whole curve, "200" the curve and 200).
func parseScale(s string) ([]int, error) {
	var counts []int
	for _, field := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-scale %q: %q is not a positive pod count", s, field)
		}
		counts = append(counts, n)
	}
	if len(counts) == 1 {
		top := counts[0]
		counts = nil
		for _, n := range standardCurve {
			if n < top {
				counts = append(counts, n)
			}
		}
		counts = append(counts, top)
	}
	slices.Sort(counts)
	return slices.Compact(counts), nil
}

// roundTimeout bounds one phase (all running, or all gone) of a round of
// n pods: generous, since 110 pods on a busy 2-core machine take a while,
// yet finite, so a stuck pod fails the run with its name instead of hanging.
func roundTimeout(n int) time.Duration { return 2*time.Minute + time.Duration(n)*2*time.Second }
