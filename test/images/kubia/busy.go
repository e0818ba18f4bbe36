package main

import (
	"context"
	"time"
)

// busyPeriod is the duty cycle of -busy-millicores: each worker spins for
// its share of every period and sleeps the rest, so the load is steady at
// the scale `kubectl top` measures (seconds).
const busyPeriod = 100 * time.Millisecond

// busyPlan splits a CPU load of millicores into workers of at most one
// core each and the time each spins per period.
func busyPlan(millicores int) (workers int, spin time.Duration) {
	if millicores <= 0 {
		return 0, 0
	}
	workers = (millicores + 999) / 1000
	return workers, busyPeriod * time.Duration(millicores) / time.Duration(1000*workers)
}

// burn keeps about millicores of CPU busy until ctx ends.
func burn(ctx context.Context, millicores int) {
	workers, spin := busyPlan(millicores)
	for range workers {
		go func() {
			ticker := time.NewTicker(busyPeriod)
			defer ticker.Stop()
			for {
				for start := time.Now(); time.Since(start) < spin; {
				}
				select {
				case <-ctx.Done():
					return
				case <-ticker.C:
				}
			}
		}()
	}
}
