//go:build e2e

// Package hostile_test measures what a hostile input costs a real agent
// (issue 14): 10 MiB POSTs and 10 MiB manifests built to make the decoder
// work hard, and the largest such inputs the limits let through to the
// decoder. For each it prints the time to the answer (or, for a manifest,
// to the first logged line of its error), the size of the answer (the
// response body, or the lines logged for the file) and the agent's peak
// RSS while it worked (VmHWM, reset before each case). The goal is under
// 1 s and under 100 MiB; the benchmark prints and does not judge.
//
//	go test -tags e2e -run '^$' -bench Hostile -benchtime 1x ./test/bench/hostile/
//
// Each case gets a fresh agent. So that a binary without the bounds can be
// measured without taking the shared machine down, a case stops waiting
// after 30 s, and kills the agent when its RSS passes 3 GiB; the figures
// then read "> 30s" or "> 3 GiB".
package hostile_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

const (
	// hostileSize keeps a whole input, header included, under the 10 MiB
	// a manifest may have, so a binary without the newer bounds decodes it.
	hostileSize = 10<<20 - 1024
	// justUnder is a size the API and the manifest source take in whole:
	// the limit on one pod (and on a request body) is 1.5 MiB.
	justUnder = 3<<19 - 4096
	maxWait   = 30 * time.Second
	maxRSS    = 3 << 30
)

// figures is one case's result.
type figures struct {
	elapsed    time.Duration
	answer     int // bytes of the answer, or of the lines logged
	lines      int // log lines for a manifest
	code       int // HTTP status for a POST
	peakRSS    int64
	timedOut   bool
	killedAtGB bool
}

func (f figures) String() string {
	took := f.elapsed.Round(time.Millisecond).String()
	if f.timedOut {
		took = "> " + maxWait.String()
	}
	peak := fmt.Sprintf("%.0f MiB", float64(f.peakRSS)/(1<<20))
	if f.killedAtGB {
		peak = fmt.Sprintf("> %d GiB (killed)", maxRSS>>30)
	}
	answer := fmt.Sprintf("%d bytes", f.answer)
	if f.code != 0 {
		answer = fmt.Sprintf("HTTP %d, %s", f.code, answer)
	} else {
		answer = fmt.Sprintf("%d lines, %s", f.lines, answer)
	}
	return fmt.Sprintf("%-10s %-28s peak RSS %s", took, answer, peak)
}

func podJSON(containers string) string {
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"hostile"},"spec":{"containers":` + containers + `}}`
}

func podYAML(name, containers string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  containers:" + containers + "\n"
}

// fill repeats unit to about size bytes.
func fill(unit string, size int) string { return strings.Repeat(unit, size/len(unit)) }

func BenchmarkHostilePOST(b *testing.B) {
	cases := []struct{ name, body string }{
		{"10MiB-containers-1,1,1", podJSON("[" + fill("1,", hostileSize) + "1]")},
		{"10MiB-mismatched-fields", podJSON("[" + fill(`{"nam":1,"imag":2,"port":"x"},`, hostileSize) + "{}]")},
		{"1.5MiB-containers-1,1,1", podJSON("[" + fill("1,", justUnder) + "1]")},
		{"16k-mismatches-decoded", podJSON("[" + fill("1,", 1<<15) + "1]")},
		{"1.5MiB-name", strings.Replace(podJSON(`[{"name":"a","image":"b"}]`), `"hostile"`, `"`+fill("n", justUnder)+`"`, 1)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			agent := framework.StartAgent(b)
			f := measure(b, agent, func(ctx context.Context, _ time.Time, f *figures) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, agent.URL("/api/v1/namespaces/default/pods"), strings.NewReader(c.body))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := agent.HTTPClient().Do(req)
				if err != nil {
					f.timedOut = true
					return
				}
				defer resp.Body.Close()
				n, err := io.Copy(io.Discard, resp.Body)
				f.code, f.answer, f.timedOut = resp.StatusCode, int(n), err != nil
			})
			report(b, fmt.Sprintf("POST %-26s %9d bytes in:", c.name, len(c.body)), f)
		})
	}
}

func BenchmarkHostileManifest(b *testing.B) {
	var bigPods strings.Builder
	for i := range hostileSize / justUnder {
		fmt.Fprintf(&bigPods, "---\n%s", podYAML(strconv.Itoa(i)+fill("n", justUnder), " [{name: a, image: b}]"))
	}
	cases := []struct{ name, content string }{
		{"10MiB-containers-1,1,1", podYAML("hostile", " ["+fill("1,", hostileSize)+"1]")},
		{"10MiB-mismatched-fields", podYAML("hostile", "\n"+fill("  - {nam: 1, imag: 2, port: x}\n", hostileSize))},
		{"16k-mismatches-decoded", podYAML("hostile", " ["+fill("1,", 1<<15)+"1]")},
		{"6x1.5MiB-names", bigPods.String()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			agent := framework.StartAgent(b)
			path := filepath.Join(agent.ManifestDir, "hostile.yaml")
			log := &logTail{path: agent.LogFile, marker: []byte("file=" + path + " ")}
			f := measure(b, agent, func(ctx context.Context, start time.Time, f *figures) {
				agent.WriteManifest(filepath.Base(path), c.content)
				for ctx.Err() == nil {
					if lines, _ := log.read(); lines > 0 {
						f.elapsed = time.Since(start)
						time.Sleep(time.Second) // the first line is the report; let the rest land
						f.lines, f.answer = log.read()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				f.timedOut = true
			})
			report(b, fmt.Sprintf("manifest %-22s %9d bytes in:", c.name, len(c.content)), f)
		})
	}
}

// measure resets the agent's peak RSS, runs act under maxWait while a
// watchdog kills the agent past maxRSS, and reads the peak.
func measure(b *testing.B, agent *framework.Agent, act func(ctx context.Context, start time.Time, f *figures)) figures {
	b.Helper()
	pid := agent.PID()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		b.Fatalf("resetting the agent's peak RSS: %v", err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), maxWait)
	defer cancel()
	var killed atomic.Bool
	watchdog := make(chan struct{})
	go func() {
		defer close(watchdog)
		for ctx.Err() == nil {
			if rss, _ := procStatus(pid, "VmRSS"); rss > maxRSS {
				killed.Store(true)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var f figures
	act(ctx, start, &f)
	if f.elapsed == 0 {
		f.elapsed = time.Since(start)
	}
	f.peakRSS, _ = procStatus(pid, "VmHWM")
	cancel()
	<-watchdog
	if killed.Load() {
		f.killedAtGB, f.timedOut = true, false
		agent.Signal(syscall.SIGKILL) // reap it; the teardown starts a fresh one to clean up
	}
	return f
}

func report(b *testing.B, what string, f figures) {
	b.Logf("%s %s", what, f)
	fmt.Printf("hostile: %s %s (goal: < 1s, < 100 MiB)\n", what, f)
	b.ReportMetric(float64(f.elapsed.Milliseconds()), "ms")
	b.ReportMetric(float64(f.answer), "answer-bytes")
	b.ReportMetric(float64(f.peakRSS)/(1<<20), "peak-RSS-MiB")
}

// procStatus reads a "kB" field of /proc/PID/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// logTail counts the warnings the agent logs about one manifest as its
// log grows, reading each byte once: an agent without bounds logs
// hundreds of megabytes.
type logTail struct {
	path   string
	marker []byte // in every line about the manifest
	offset int64  // of the first line not yet counted
	lines  int
	bytes  int
}

// read counts the complete lines logged since the last call and returns
// the totals: lines about the manifest and their bytes.
func (l *logTail) read() (lines, size int) {
	file, err := os.Open(l.path)
	if err != nil {
		return l.lines, l.bytes
	}
	defer file.Close()
	if _, err := file.Seek(l.offset, io.SeekStart); err != nil {
		return l.lines, l.bytes
	}
	reader := bufio.NewReaderSize(file, 1<<20)
	for {
		line, err := reader.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line over 1 MiB.
			var rest []byte
			rest, err = reader.ReadBytes('\n')
			line = append(append([]byte(nil), line...), rest...)
		}
		if err != nil {
			return l.lines, l.bytes // a partial line is read again next time
		}
		l.offset += int64(len(line))
		if bytes.Contains(line, []byte(`msg="static pod manifest is invalid"`)) && bytes.Contains(line, l.marker) {
			l.lines++
			l.bytes += len(line)
		}
	}
}
