package main

import (
	"sync"
	"testing"
	"time"
)

func TestOpCountsString(t *testing.T) {
	c := opCounts{"start_container": 1, "list_containers": 0, "container_status": 2.5, "run_podsandbox": 1}
	if got, want := c.String(), "container_status 2.50, run_podsandbox 1, start_container 1"; got != want {
		t.Errorf("String() = %q, want %q (sorted, zeros left out)", got, want)
	}
	if got := (opCounts{}).String(); got != "none" {
		t.Errorf("empty String() = %q, want none", got)
	}
}

func TestOpCountsArithmetic(t *testing.T) {
	a := opCounts{opListSandboxes: 10, opListContainers: 10, "container_status": 4}
	got := a.withoutRelists(10).scaled(0.5)
	if got.total() != 2 || got["container_status"] != 2 {
		t.Errorf("withoutRelists(10).scaled(0.5) = %v, want container_status 2 only", got)
	}
	if a[opListSandboxes] != 10 {
		t.Errorf("withoutRelists changed its receiver: %v", a)
	}
	if sum := a.plus(opCounts{"exec_sync": 1}).minus(a); sum.String() != "exec_sync 1" {
		t.Errorf("plus then minus = %v, want exec_sync 1", sum)
	}
}

func TestOpCounterCountsConcurrentCalls(t *testing.T) {
	var c opCounter
	empty := c.snapshot()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.ObserveOperation("run_podsandbox", time.Millisecond, nil)
		}()
	}
	wg.Wait()
	if got := c.snapshot().minus(empty); got["run_podsandbox"] != 50 {
		t.Errorf("counted %v, want run_podsandbox 50", got)
	}
}
