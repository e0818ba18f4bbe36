//go:build e2e

package soak

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// The figures a soak must hold. They are about what grows, never about
// how long anything took.
const (
	// anonGrowthLimit bounds the growth of the agent's anonymous memory
	// from the first memoryWindow lifecycles to the last.
	anonGrowthLimit = 5 << 20
	memoryWindow    = 100
	// goroutineSlack and fdSlack are how far above the warm baseline the
	// settled end may be. Both are the lowest of settleReadings readings,
	// which filters what is merely in flight; the slack covers work the
	// agent starts on its own clock and that can outlast the readings on a
	// machine slowed by other tests (a relist, the orphan scan, a probe's
	// last check), each holding a goroutine or two and a socket for its
	// call. A leak of anything per pod would be hundreds.
	goroutineSlack = 2
	fdSlack        = 1
	// checkpoints is how many inventory checks the run makes between its
	// start and its end, evenly spread over the lifecycles.
	checkpoints = 3
	// convergeTimeout bounds how long an inventory check waits for the
	// agent to finish what it was doing (old pods of edits still being
	// removed, say); one inventory alone took 50 s on a machine at load 40.
	convergeTimeout = 3 * time.Minute
	// settleReadings is how many readings, a second apart, the baseline
	// and the end each take their lowest goroutine and file count from.
	settleReadings = 5
	// maxTableRows bounds the printed table; churn samples are thinned
	// evenly to fit (the long variant samples for hours).
	maxTableRows = 60
	// progressEvery is how many samples pass between progress lines.
	progressEvery = 6
	// seed makes the mix of kinds, holds and writes the same every run.
	seed = 16
)

// TestSoak churns SOAK_LIFECYCLES pod lifecycles (1000 by default) of
// every kind through one agent, SOAK_PARALLEL (24) alive at once, samples
// the agent and the runtime every SOAK_SAMPLE_EVERY (10 s), checks the
// whole inventory at a few points and at the end, and prints the figures.
//
// It fails on any pod that does not do what its kind does, on any leak the
// inventory finds, on anonymous memory that grows by 5 MiB or more from
// the first 100 lifecycles to the last, and on goroutines or open files
// that do not come back to where they were before the churn.
func TestSoak(t *testing.T) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	agent := framework.StartAgent(t)
	started := time.Now()
	view := newPodView(agent)
	viewCtx, stopView := context.WithCancel(context.Background())
	viewDone := make(chan struct{})
	go func() { defer close(viewDone); view.run(viewCtx) }()
	stopViewOnce := func() { stopView(); <-viewDone }
	// Cleanups run last first: the churn and the view stop before the
	// framework removes the agent's pods.
	t.Cleanup(stopViewOnce)
	churnCtx, stopChurn := context.WithCancel(context.Background())
	var churning sync.WaitGroup
	t.Cleanup(func() { stopChurn(); churning.Wait() })

	keepLogOnFailure(t, agent)

	c := newChurn(agent, view, cfg, seed)
	s := &sampler{agent: agent, view: view, churn: c, started: started}
	defer func() {
		fmt.Printf("\nsoak on %s: %s\n%s\n", agent.Env.Runtime, c.summary(), Table(Thin(s.samples, maxTableRows)))
	}()

	s.takeSettled(t, PhaseCold, 1)
	if err := c.warmUp(churnCtx); err != nil {
		t.Fatalf("warm-up, one pod of each kind: %v\nagent log:\n%s", err, tailLines(agent.Logs(), 60))
	}
	agent.CheckInventory(t, convergeTimeout)
	c.reset()
	baseline := s.takeSettled(t, PhaseWarm, settleReadings)

	churned := make(chan error, 1)
	churning.Add(1)
	go func() { defer churning.Done(); churned <- c.run(churnCtx, cfg.Lifecycles) }()
	if err := s.churnAndSample(t, cfg, churned); err != nil {
		t.Fatalf("churn: %v\nagent log:\n%s", err, tailLines(agent.Logs(), 60))
	}

	if left, _ := os.ReadDir(agent.ManifestDir); len(left) != 0 {
		t.Fatalf("%d manifests left after the churn, want none", len(left))
	}
	agent.CheckInventory(t, convergeTimeout)
	stopViewOnce()
	end := s.takeSettled(t, PhaseEnd, settleReadings)
	if left, err := s.seriesOfGonePods(); err != nil || len(left) > 0 {
		t.Errorf("metric series of pods that are gone are left (%v):\n  %s", err, strings.Join(left, "\n  "))
	}

	first, last, err := AnonGrowth(s.samples, cfg.Lifecycles, memoryWindow)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("anonymous memory: %s MiB over the first %d lifecycles, %s MiB over the last (limit +%s MiB); goroutines %d → %d, open files %d → %d, /metrics series %d → %d",
		mib(first), memoryWindow, mib(last), mib(anonGrowthLimit), baseline.Goroutines, end.Goroutines, baseline.FDs, end.FDs, baseline.Series, end.Series)
	if last-first >= anonGrowthLimit {
		t.Errorf("the agent's anonymous memory grew by %s MiB from the first %d lifecycles to the last, want under %s MiB",
			mib(last-first), memoryWindow, mib(anonGrowthLimit))
	}
	if end.Goroutines > baseline.Goroutines+goroutineSlack {
		t.Errorf("the agent has %d goroutines after the churn, %d before it (slack %d): %d leaked",
			end.Goroutines, baseline.Goroutines, goroutineSlack, end.Goroutines-baseline.Goroutines)
	}
	if end.FDs > baseline.FDs+fdSlack {
		t.Errorf("the agent has %d open files after the churn, %d before it: %d leaked", end.FDs, baseline.FDs, end.FDs-baseline.FDs)
	}
}

// churnAndSample samples every cfg.SampleEvery until the churn ends, and
// holds the churn still for an inventory check each time another
// 1/(checkpoints+1) of the lifecycles has ended.
func (s *sampler) churnAndSample(t *testing.T, cfg Config, churned <-chan error) error {
	t.Helper()
	ticker := time.NewTicker(cfg.SampleEvery)
	defer ticker.Stop()
	next := 1
	for {
		select {
		case err := <-churned:
			return err
		case <-ticker.C:
		}
		sample := s.take(t, PhaseChurn)
		if len(s.samples)%progressEvery == 0 {
			t.Logf("%s: %d of %d lifecycles, %d pods, RSS anon %s MiB, %d goroutines, %d fds",
				sample.At.Round(time.Second), sample.Lifecycles, cfg.Lifecycles, sample.Pods, mib(sample.Mem.Anon), sample.Goroutines, sample.FDs)
		}
		if next <= checkpoints && int(s.churn.ended.Load()) >= cfg.Lifecycles*next/(checkpoints+1) {
			s.checkpoint(t)
			next++
			ticker.Reset(cfg.SampleEvery)
		}
	}
}

// checkpoint holds every pod still (no worker may write, start or delete
// one) while the whole inventory is checked.
func (s *sampler) checkpoint(t *testing.T) {
	t.Helper()
	s.churn.gate.Lock()
	defer s.churn.gate.Unlock()
	took := s.checkInventory(t, convergeTimeout)
	s.take(t, PhaseCheck)
	t.Logf("inventory clean with %d pods after %d lifecycles (checked in %s)", s.view.count(), s.churn.ended.Load(), took.Round(time.Millisecond))
}

// keepLogOnFailure copies the agent's whole log out of the test's
// temporary directory when the test fails: a soak's failure is often
// explained thousands of lines before it shows.
func keepLogOnFailure(t *testing.T, agent *framework.Agent) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		kept := filepath.Join(os.TempDir(), "soak-"+agent.NodeName+".log")
		if err := os.WriteFile(kept, []byte(agent.Logs()), 0o644); err != nil {
			t.Logf("keeping the agent's log: %v", err)
			return
		}
		t.Logf("the agent's whole log is in %s", kept)
	})
}
