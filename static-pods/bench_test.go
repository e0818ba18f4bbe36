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
	benchmarkEventToSnapshot(b, func(path string, content []byte) error {
		tmp := filepath.Join(filepath.Dir(path), ".web.yaml.tmp")
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, path)
	})
}

// BenchmarkEventToSnapshotInPlace is BenchmarkEventToSnapshot for a file
// rewritten in place (open, truncate, write, close), which the source reads
// on the close.
func BenchmarkEventToSnapshotInPlace(b *testing.B) {
	benchmarkEventToSnapshot(b, func(path string, content []byte) error {
		return os.WriteFile(path, content, 0o644)
	})
}

func benchmarkEventToSnapshot(b *testing.B, write func(path string, content []byte) error) {
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
		start := time.Now()
		if err := write(filepath.Join(src.dir, "web.yaml"), []byte(manifestFor("web", image))); err != nil {
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
