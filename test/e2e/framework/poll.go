package framework

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pollInterval is how often WaitUntil re-checks its condition.
const pollInterval = 20 * time.Millisecond

// WaitUntil polls cond until it holds and returns how long that took,
// failing the test after timeout with what was awaited.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(pollInterval)
	}
	return time.Since(start)
}

// Metric reads one sample without labels, such as
// minikubelet_cni_config_repairs_total, from the agent's /metrics.
func (a *Agent) Metric(name string) (float64, error) {
	resp, err := a.Get(context.Background(), "/metrics")
	if err != nil {
		return 0, fmt.Errorf("scraping the agent: %w", err)
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	if err := scanner.Err(); err != nil {
		return 0, fmt.Errorf("reading /metrics: %w", err)
	}
	return 0, fmt.Errorf("the agent's /metrics has no sample %s", name)
}
