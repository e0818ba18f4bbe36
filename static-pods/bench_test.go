package staticpods

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEventToSnapshot measures a manifest written (atomically, as
// tools do) until the snapshot carrying it is received: the source's share
// of "manifest written → container running".
func BenchmarkEventToSnapshot(b *testing.B) {
	src, err := NewSource(Config{Dir: b.TempDir(), NodeName: testNode})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	<-src.Updates() // the first listing

	var total, worst time.Duration
	b.ResetTimer()
	for i := range b.N {
		image := fmt.Sprintf("nginx:1.%d", i)
		tmp := filepath.Join(src.dir, ".web.yaml.tmp")
		start := time.Now()
		if err := os.WriteFile(tmp, []byte(manifestFor("web", image)), 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(src.dir, "web.yaml")); err != nil {
			b.Fatal(err)
		}
		for {
			snap := <-src.Updates()
			if p := findPod(snap, "web"); p != nil && p.Pod.Spec.Containers[0].Image == image {
				break
			}
		}
		elapsed := time.Since(start)
		total += elapsed
		worst = max(worst, elapsed)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/event")
	b.ReportMetric(float64(worst.Microseconds()), "µs-worst")
}
