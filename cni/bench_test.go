package cni

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkLeakSweepNoLeaks measures the periodic sweep on a node with 110
// pods (kubelet's default maximum), all live: the cost paid every
// CheckInterval when there is nothing to release.
func BenchmarkLeakSweepNoLeaks(b *testing.B) {
	const pods = 110
	var live []string
	for i := range pods {
		live = append(live, fmt.Sprintf("%064d", i))
	}
	f := newLeakFixture(b, live...)
	for i, id := range live {
		ip := fmt.Sprintf("10.88.0.%d", i+2)
		writeAllocation(b, f.allocDir, ip, id, time.Hour)
		writeCacheEntry(b, f.cacheDir, NetworkName, id, ip, f.manager.conflist, time.Hour)
	}
	b.ReportAllocs()
	for b.Loop() {
		released, err := f.manager.ReleaseLeaks(context.Background())
		if err != nil || released != 0 {
			b.Fatalf("released %d err %v", released, err)
		}
	}
}

// BenchmarkRenderConflist measures rendering, done once at start.
func BenchmarkRenderConflist(b *testing.B) {
	cfg := Config{Bandwidth: true, Firewall: true}.withDefaults()
	nw, err := cfg.parseNetwork()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderConflist(cfg, nw); err != nil {
			b.Fatal(err)
		}
	}
}
