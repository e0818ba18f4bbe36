package main

import (
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	status := "Name:\tminikubelet\nVmPeak:\t 1300000 kB\nVmRSS:\t   33792 kB\nRssAnon:\t   11264 kB\nRssFile:\t   22528 kB\nRssShmem:\t       0 kB\nThreads:\t12\n"
	m, err := parseStatus(status)
	if err != nil {
		t.Fatal(err)
	}
	if m != (memory{rss: 33, anon: 11, file: 22}) {
		t.Errorf("parseStatus = %+v, want 33 MiB = 11 anonymous + 22 file-backed", m)
	}
	if _, err := parseStatus("Name:\tx\nVmRSS:\t 100 kB\n"); err == nil {
		t.Error("a status without RssAnon and RssFile parsed without error")
	}
}

func TestParseStatTicks(t *testing.T) {
	// A command name with a space and a parenthesis, which naive splitting
	// would miscount; utime 150, stime 50, and 30 + 20 ticks of children.
	stat := "4242 (mini kubelet) S 1 4242 4242 0 -1 4194560 2000 0 0 0 150 50 30 20 20 0 12 0 100 1300000000 8250 18446744073709551615"
	ticks, err := parseStatTicks(stat)
	if err != nil {
		t.Fatal(err)
	}
	if ticks != 250 || cpuTime(ticks) != 2500*time.Millisecond {
		t.Errorf("ticks = %d (%s), want 250 (2.5s: the agent's and its children's)", ticks, cpuTime(ticks))
	}
	for _, bad := range []string{"4242 no name", "4242 (x) S 1 2", "4242 (x) S 1 4242 4242 0 -1 4194560 2000 0 0 0 150 50"} {
		if _, err := parseStatTicks(bad); err == nil {
			t.Errorf("parseStatTicks(%q) parsed without error", bad)
		}
	}
}
