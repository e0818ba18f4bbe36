//go:build e2e

// Package portforward_test measures port-forward throughput on the real
// runtime: one 1 GiB HTTP download from kubia's /bytes endpoint straight
// from the pod IP, through `minikubelet port-forward` (default, which as
// root redirects in the kernel; relayed by the CLI to the pod IP; and forced
// through the runtime's tunnel), and through `crictl port-forward`, all in
// one run:
//
//	go test -tags e2e -run '^$' -bench PortForward -benchtime 1x ./test/bench/portforward/
//
// PF_BENCH_ROUNDS (default 3) repeats the four downloads, interleaved. The
// goal is minikubelet >= 0.8x direct and >= 3x crictl; the benchmark prints
// the figures and the ratios and asserts nothing about speed.
package portforward_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// transferSize is one download: 1 GiB.
const transferSize = 1 << 30

// roundsEnv sets how many times every path is measured, interleaved so
// that load from other work on the machine hits every path alike; the
// report gives each path's median and the median of the per-round ratios.
const roundsEnv = "PF_BENCH_ROUNDS"

// path is one way to reach kubia's port 8080; open returns the base URL and
// starts whatever forwarder the path needs for the rest of the benchmark.
type path struct {
	name string
	open func(b *testing.B) string
}

func BenchmarkPortForward(b *testing.B) {
	agent := framework.StartAgent(b)
	name := framework.UniqueName("pfbench")
	agent.WriteManifest(name+".yaml", fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: kubia\n    image: %s\n", name, agent.Env.KubiaImage))
	pod := agent.WaitPod(name, 90*time.Second, "Running", framework.Running)
	minikubelet := func(extra ...string) func(b *testing.B) string {
		return func(b *testing.B) string {
			args := append(append([]string{"port-forward"}, agent.ClientArgs()...), append([]string{"--address", "127.0.0.1", "--log-level", "warn"}, extra...)...)
			return "http://" + startForwarder(b, agent.Binary, append(args, pod.Name, ":8080")...)
		}
	}
	paths := []path{
		{"direct", func(*testing.B) string { return "http://" + pod.Status.PodIP + ":8080" }},
		{"minikubelet", minikubelet()},
		{"minikubelet-relay", minikubelet("--kernel-redirect=false")},
		{"minikubelet-tunnel", minikubelet("--direct", "never")},
		{"crictl", func(b *testing.B) string {
			sandbox := strings.TrimSpace(framework.Crictl(b, "pods", "-q", "--state", "ready", "--name", "^"+pod.Name+"$"))
			if sandbox == "" || strings.Contains(sandbox, "\n") {
				b.Fatalf("crictl pods found %q for pod %s, want one sandbox", sandbox, pod.Name)
			}
			return "http://" + startForwarder(b, agent.Env.Crictl, "--runtime-endpoint", agent.Env.RuntimeEndpoint, "port-forward", sandbox, ":8080")
		}},
	}
	urls := make([]string, len(paths))
	for i, p := range paths {
		urls[i] = p.open(b) + fmt.Sprintf("/bytes?n=%d", transferSize)
	}
	rounds := roundsFromEnv(b)
	samples := make([][]float64, len(paths)) // MB/s per path per round
	b.SetBytes(int64(rounds * len(paths) * transferSize))
	b.ResetTimer()
	for range b.N {
		for range rounds {
			for i := range paths {
				samples[i] = append(samples[i], download(b, urls[i]))
			}
		}
	}
	b.StopTimer()
	report(b, paths, samples)
}

func roundsFromEnv(b *testing.B) int {
	text := os.Getenv(roundsEnv)
	if text == "" {
		return 3
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: give a whole number of rounds >= 1", roundsEnv, text)
	}
	return n
}

// download fetches url, reads the whole body, failing on a short one, and
// returns the throughput in MB/s.
func download(b *testing.B, url string) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
	started := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	// A large buffer and a bare Read loop: io.Discard's ReadFrom would read
	// in 8 KiB pieces and measure this client rather than the path.
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := resp.Body.Read(buf)
		total += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatalf("GET %s: after %d bytes: %v", url, total, err)
		}
	}
	if total != transferSize {
		b.Fatalf("GET %s: %d bytes, want %d", url, total, transferSize)
	}
	return float64(total) / time.Since(started).Seconds() / 1e6
}

var forwardingLine = regexp.MustCompile(`^Forwarding from (127\.0\.0\.1:\d+) -> 8080`)

// startForwarder runs a port-forward command (ours or crictl's) until the
// sub-benchmark ends and returns the local address it prints.
func startForwarder(b *testing.B, binary string, args ...string) string {
	b.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s %v: %v", binary, args, err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			if m := forwardingLine.FindStringSubmatch(scanner.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		close(found)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			b.Fatalf("%s %v exited without a Forwarding line", binary, args)
		}
		return addr
	case <-time.After(30 * time.Second):
		b.Fatalf("%s %v printed no Forwarding line within 30s", binary, args)
		return ""
	}
}

// report prints each path's median and best and the goal's ratios, taken
// per round (paired) so that machine load drifting between rounds cancels.
func report(b *testing.B, paths []path, samples [][]float64) {
	index := map[string]int{}
	fmt.Printf("\nport-forward throughput, %d MiB downloads, %d rounds (MB/s):\n", transferSize>>20, len(samples[0]))
	fmt.Printf("  %-20s %8s %8s\n", "path", "median", "best")
	for i, p := range paths {
		index[p.name] = i
		fmt.Printf("  %-20s %8.1f %8.1f\n", p.name, median(samples[i]), slices.Max(samples[i]))
		b.ReportMetric(median(samples[i]), p.name+"-MB/s")
	}
	ratio := func(of, to string) float64 {
		var ratios []float64
		for r := range samples[index[of]] {
			ratios = append(ratios, samples[index[of]][r]/samples[index[to]][r])
		}
		return median(ratios)
	}
	vsDirect, vsCrictl := ratio("minikubelet", "direct"), ratio("minikubelet", "crictl")
	verdict := "met"
	if vsDirect < 0.8 || vsCrictl < 3 {
		verdict = "NOT met"
	}
	fmt.Printf("  minikubelet = %.2fx direct, %.1fx crictl (median of per-round ratios; goal >= 0.8x and >= 3x: %s)\n", vsDirect, vsCrictl, verdict)
}

func median(values []float64) float64 {
	sorted := slices.Sorted(slices.Values(values))
	mid := len(sorted) / 2
	if len(sorted)%2 == 0 {
		return (sorted[mid-1] + sorted[mid]) / 2
	}
	return sorted[mid]
}
