package logs

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
)

// heapSampler discards the output and, every sampleLines lines, collects
// garbage and records the live heap: what a read holds while it writes.
type heapSampler struct {
	lines int
	peak  uint64
}

const sampleLines = 16 << 10

func (s *heapSampler) Write(p []byte) (int, error) {
	if s.lines%sampleLines == 0 {
		s.sample()
	}
	s.lines++
	return len(p), nil
}

func (s *heapSampler) sample() {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.peak = max(s.peak, m.HeapAlloc)
}

// writeBigLog writes a live log of about size bytes, streaming so the test
// itself holds none of it.
func writeBigLog(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var written int64
	for i := 0; written < size; i++ {
		n, _ := fmt.Fprintf(w, "%s stdout F line %d of a big log with padding to a typical length\n", at(i).Format("2006-01-02T15:04:05.000000000Z07:00"), i)
		written += int64(n)
	}
	if err := w.Flush(); err != nil || f.Close() != nil {
		tb.Fatal(err)
	}
}

// tailEverything reads a log with tailLines=2^40, as `kubectl logs
// --tail=1099511627776` asks, and returns the live heap it held above
// the baseline and the bytes it allocated.
func tailEverything(tb testing.TB, path string) (peak, allocated uint64) {
	tb.Helper()
	sampler := &heapSampler{}
	sampler.sample()
	base := sampler.peak
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stats, err := ReadLogs(tb.Context(), Request{Path: path, Options: Options{Tail: true, TailLines: 1 << 40}}, sampler)
	runtime.ReadMemStats(&after)
	if err != nil || stats.Lines == 0 {
		tb.Fatalf("tail read: %+v, %v", stats, err)
	}
	return sampler.peak - base, after.TotalAlloc - before.TotalAlloc
}

// A tail as long as the log must not hold the log in memory.
func TestTailMemoryDoesNotGrowWithTheLog(t *testing.T) {
	_, path := logDir(t)
	writeBigLog(t, path, 16<<20)
	peak, allocated := tailEverything(t, path)
	t.Logf("tailLines=2^40 of a 16 MiB log: live heap %.1f MiB above baseline, %.1f MiB allocated", float64(peak)/(1<<20), float64(allocated)/(1<<20))
	if peak > 4<<20 {
		t.Errorf("the read held %d MiB, want under 4 MiB whatever the log's size", peak>>20)
	}
}

// BenchmarkTailEverythingOf50MiB prints the figures of issue 14:
// tailLines=2^40 on a 50 MiB log.
func BenchmarkTailEverythingOf50MiB(b *testing.B) {
	dir := b.TempDir() + "/ns_pod_uid/app"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := dir + "/0.log"
	writeBigLog(b, path, 50<<20)
	var peak, allocated uint64
	for b.Loop() {
		p, a := tailEverything(b, path)
		peak, allocated = max(peak, p), a
	}
	b.ReportMetric(float64(peak)/(1<<20), "MiB-live-peak")
	b.ReportMetric(float64(allocated)/(1<<20), "MiB-alloc/op")
}

// randomLog writes a log of random records (two streams, partial and full,
// a few malformed) spread over compressed, plain rotated and live files.
func randomLog(t *testing.T, rng *rand.Rand) string {
	t.Helper()
	_, path := logDir(t)
	var files [4]strings.Builder
	for i := range 400 {
		f := &files[min(3, i/100)]
		stream := [2]string{"stdout", "stderr"}[rng.IntN(2)]
		switch rng.IntN(10) {
		case 0:
			f.WriteString("garbage\n")
		case 1, 2, 3:
			f.WriteString(criLine(at(i), stream, true, fmt.Sprintf("p%d-", i)))
		default:
			f.WriteString(criLine(at(i), stream, false, fmt.Sprintf("f%d", i)))
		}
	}
	writeGzip(t, rotatedPath(path, at(100))+compressedSuffix, files[0].String())
	writeGzip(t, rotatedPath(path, at(200))+compressedSuffix, files[1].String())
	writeFile(t, rotatedPath(path, at(300)), files[2].String())
	live := files[3].String()
	if rng.IntN(2) == 0 {
		live = strings.TrimSuffix(live, "\n") // the runtime is mid-record
	}
	writeFile(t, path, live)
	return path
}

// lastLines returns the last n lines of a whole read's output.
func lastLines(out string, n int64) string {
	lines := strings.SplitAfter(out, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines[max(0, int64(len(lines))-n):], "")
}

// Whatever the log holds, a tail is the end of the whole read: lines split
// by rotations, partial records of two streams, filters and limits.
func TestTailIsTheEndOfTheWholeLog(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 14))
		path := randomLog(t, rng)
		for _, stream := range []Stream{StreamAll, StreamStdout, StreamStderr} {
			for _, opts := range []Options{{Stream: stream}, {Stream: stream, SinceTime: at(rng.IntN(400))}} {
				whole, _ := readAll(t, path, opts)
				for _, n := range []int64{0, 1, 2, 3, 7, int64(rng.IntN(300)), 1000} {
					tailOpts := opts
					tailOpts.Tail, tailOpts.TailLines = true, n
					if got, want := mustRead(t, path, tailOpts), lastLines(whole, n); got != want {
						t.Fatalf("seed %d, %+v:\ntail = %q\nwant   %q", seed, tailOpts, got, want)
					}
					tailOpts.LimitBytes = 10
					if got, want := mustRead(t, path, tailOpts), lastLines(whole, n); got != want[:min(10, len(want))] {
						t.Fatalf("seed %d, %+v: tail = %q, want %q", seed, tailOpts, got, want[:min(10, len(want))])
					}
				}
			}
		}
	}
}

func mustRead(t *testing.T, path string, opts Options) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := ReadLogs(t.Context(), Request{Path: path, Options: opts}, &out); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
