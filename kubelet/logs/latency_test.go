package logs

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkFollowLatency measures the time from the runtime appending a
// line to the log file until an HTTP follow client has read it, through
// fsnotify, the reader and a chunked response. The target is < 50 ms.
func BenchmarkFollowLatency(b *testing.B) {
	f := newHandlerFixture(b)
	resp, err := http.Get(f.server.URL + "/containerLogs/default/web/app?follow=true&tailLines=0")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	logFile, err := os.OpenFile(f.appLog, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	time.Sleep(50 * time.Millisecond) // let the follower reach the end
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		record := criLine(time.Now(), "stdout", false, "n"+strconv.Itoa(i))
		start := time.Now()
		if _, err := logFile.WriteString(record); err != nil {
			b.Fatal(err)
		}
		line, err := lines.ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "n"+strconv.Itoa(i) {
			b.Fatalf("read %q, %v", line, err)
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(latencies)
	median := latencies[len(latencies)/2]
	p99 := latencies[min(len(latencies)-1, len(latencies)*99/100)]
	b.ReportMetric(float64(median.Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(p99.Microseconds())/1000, "ms-p99")
	fmt.Printf("follow write→client latency over %d lines: median %v, p99 %v (target < 50ms)\n", len(latencies), median, p99)
}

// benchLog writes a container log the size the rotator keeps by default:
// four compressed rotated files and a live file, each 10 MiB.
func benchLog(b *testing.B) (string, int64) {
	b.Helper()
	dir := b.TempDir()
	path := dir + "/0.log"
	var total int64
	line := 0
	part := func() string {
		var sb strings.Builder
		for sb.Len() < DefaultMaxSize {
			sb.WriteString(criLine(at(line), "stdout", false, fmt.Sprintf("line %d of a benchmark log with some typical length padding", line)))
			line++
		}
		total += int64(sb.Len())
		return sb.String()
	}
	for i := range 4 {
		content := part()
		if i < 3 {
			writeGzip(b, rotatedPath(path, at(line))+compressedSuffix, content)
		} else {
			writeFile(b, rotatedPath(path, at(line)), content)
		}
	}
	writeFile(b, path, part())
	return path, total
}

// BenchmarkReadTail100 is `logs --tail 100` on a full 50 MiB log: only the
// live file should be read.
func BenchmarkReadTail100(b *testing.B) {
	path, _ := benchLog(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ReadLogs(b.Context(), Request{Path: path, Options: Options{Tail: true, TailLines: 100}}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadAll reads a full 50 MiB log (four files gzip-compressed).
func BenchmarkReadAll(b *testing.B) {
	path, total := benchLog(b)
	b.SetBytes(total)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ReadLogs(b.Context(), Request{Path: path}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
