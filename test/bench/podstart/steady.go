package main

import (
	"context"
	"fmt"
	"time"
)

// scrapePaths are the metrics endpoints whose cost is measured.
var scrapePaths = []string{"/metrics", "/metrics/resource", "/metrics/cadvisor"}

// steadyState measures the agent with its pods running and nothing asked
// of it: first an idle window (CPU, memory, relists and their CRI calls),
// then what each metrics endpoint and the pod list cost it.
func (b *bench) steadyState(ctx context.Context, a *agentProcess, n int) (steadyResult, error) {
	progress("%d pods running: settling for %s, then idle for %s", n, b.opts.settle, b.opts.idle)
	if err := sleep(ctx, b.opts.settle); err != nil {
		return steadyResult{}, err
	}
	res, err := b.idle(ctx, a)
	if err != nil {
		return res, fmt.Errorf("idle window: %w", err)
	}
	idleRate := res.cpuPercent / 100
	for _, path := range scrapePaths {
		progress("%d pods running: %d scrapes of %s, %s apart", n, b.opts.scrapes, path, b.opts.scrapeGap)
		s, err := b.scrapeCost(ctx, a, path, idleRate)
		if err != nil {
			return res, fmt.Errorf("scraping %s: %w", path, err)
		}
		res.scrapes = append(res.scrapes, s)
	}
	progress("%d pods running: %d × 2 GET /api/v1/pods", n, b.opts.apiRequests)
	if res.apiTable, err = a.client.listPods(ctx, b.opts.apiRequests, acceptTable); err != nil {
		return res, err
	}
	if res.apiList, err = a.client.listPods(ctx, b.opts.apiRequests, acceptList); err != nil {
		return res, err
	}
	if res.apiTable.items != n || res.apiList.items != n {
		progress("WARNING: GET /api/v1/pods listed %d rows and %d items with %d pods running", res.apiTable.items, res.apiList.items, n)
	}
	return res, nil
}

// idle samples the agent's CPU time and metrics around a window in which
// the bench asks nothing of it, then reads its memory.
func (b *bench) idle(ctx context.Context, a *agentProcess) (steadyResult, error) {
	before, err := a.client.metrics(ctx)
	if err != nil {
		return steadyResult{}, err
	}
	cpu0, err := procCPU(a.pid())
	if err != nil {
		return steadyResult{}, err
	}
	start := time.Now()
	if err := sleep(ctx, b.opts.idle); err != nil {
		return steadyResult{}, err
	}
	cpu1, err := procCPU(a.pid())
	if err != nil {
		return steadyResult{}, err
	}
	window := time.Since(start)
	after, err := a.client.metrics(ctx)
	if err != nil {
		return steadyResult{}, err
	}
	mem, err := procMemory(a.pid())
	if err != nil {
		return steadyResult{}, err
	}
	d := after.since(before)
	if d.relists < 1 {
		return steadyResult{}, fmt.Errorf("the agent did not relist in %s: is its PLEG stuck? agent log:\n%s", window, a.logTail())
	}
	return steadyResult{
		window:      window,
		cpuPercent:  (cpu1 - cpu0).Seconds() / window.Seconds() * 100,
		mem:         mem,
		goroutines:  after.goroutines,
		relists:     d.relists,
		relistMean:  time.Duration(d.relistSeconds / d.relists * float64(time.Second)),
		perRelist:   d.ops.scaled(1 / d.relists),
		apiRequests: d.apiRequests,
	}, nil
}

// scrapeCost scrapes path b.opts.scrapes times, b.opts.scrapeGap apart:
// longer than the agent's 1 s stats cache, so every scrape of the stats
// endpoints costs a fetch from the runtime, as a Prometheus scraping every
// few seconds sees it. The agent's CPU time over the series, less what it
// spends idle in as long, divided by the scrapes, is the cost of one.
func (b *bench) scrapeCost(ctx context.Context, a *agentProcess, path string, idleRate float64) (scrapeResult, error) {
	res := scrapeResult{path: path, count: b.opts.scrapes}
	before, err := a.client.metrics(ctx)
	if err != nil {
		return res, err
	}
	cpu0, err := procCPU(a.pid())
	if err != nil {
		return res, err
	}
	start := time.Now()
	for i := 0; i < b.opts.scrapes; i++ {
		if i > 0 {
			if err := sleep(ctx, b.opts.scrapeGap); err != nil {
				return res, err
			}
		}
		body, err := a.client.get(ctx, path, acceptMetrics)
		if err != nil {
			return res, err
		}
		res.bytes = len(body)
	}
	cpu1, err := procCPU(a.pid())
	if err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	after, err := a.client.metrics(ctx)
	if err != nil {
		return res, err
	}
	busy := (cpu1 - cpu0) - time.Duration(idleRate*float64(elapsed))
	res.cpu = busy / time.Duration(b.opts.scrapes)
	res.perCall = after.since(before).workOps().scaled(1 / float64(b.opts.scrapes))
	return res, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
