//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minikubelet/minikubelet/kubelet/translate"
	"github.com/minikubelet/minikubelet/metrics"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// metricsPod is a one-container kubia pod.
func metricsPod(name, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: kubia
    image: %s
`, name, image)
}

// TestPrometheusReadsRuntimeStats runs a pod through the agent, serves
// metrics.Handlers over the real runtime, and checks what a real
// Prometheus scraping them stores.
func TestPrometheusReadsRuntimeStats(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("stats")
	agent.WriteManifest(name+".yaml", metricsPod(name, agent.Env.KubiaImage))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	runtime := framework.DialRuntime(t, agent.Env)
	handlers, err := metrics.NewHandlers(metrics.HandlerConfig{
		Gatherer:    prometheus.NewRegistry(),
		Runtime:     runtime,
		Images:      runtime,
		PodSelector: map[string]string{translate.NodeLabel: agent.NodeName},
		Logger:      framework.TestLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	handlers.Mount(mux)
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)

	prom := startPrometheus(t, strings.TrimPrefix(server.URL, "http://"), nil)
	ctx := framework.Context(t, 90*time.Second)
	pod := fmt.Sprintf(`pod=%q, namespace="default"`, name)

	prom.waitValue(ctx, t, fmt.Sprintf(`container_memory_working_set_bytes{metrics_path="/metrics/resource", %s, container="kubia"}`, pod),
		"the kubia container's working set", func(v float64) bool { return v > 0 })
	prom.waitValue(ctx, t, fmt.Sprintf(`pod_memory_working_set_bytes{%s}`, pod),
		"the pod's working set (the runtime's pod stats, or its containers' sum)", func(v float64) bool { return v > 0 })
	prom.waitValue(ctx, t, fmt.Sprintf(`pod_cpu_usage_seconds_total{%s}`, pod),
		"the pod's CPU time", func(v float64) bool { return v > 0 })
	prom.waitValue(ctx, t, `node_memory_working_set_bytes`, "the node's working set", func(v float64) bool { return v > 0 })
	prom.waitValue(ctx, t, `scrape_error`, "scrape_error", func(v float64) bool { return v == 0 })
	now := float64(time.Now().Unix())
	prom.waitValue(ctx, t, fmt.Sprintf(`container_start_time_seconds{%s}`, pod), "the container's start time",
		func(v float64) bool { return v > now-300 && v <= now })
	prom.waitValue(ctx, t, fmt.Sprintf(`container_memory_rss{metrics_path="/metrics/cadvisor", %s, image=%q}`, pod, agent.Env.KubiaImage),
		"the cAdvisor RSS, labelled with the image name", func(v float64) bool { return v > 0 })
}

// TestPrometheusScrapesAgent points a real Prometheus at a running agent's
// three metrics paths.
func TestPrometheusScrapesAgent(t *testing.T) {
	agent := framework.StartAgent(t)
	if resp, err := agent.Get(context.Background(), "/metrics/resource"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the agent does not serve /metrics/resource (HTTP %v, %v): main must mount metrics.Handlers.Routes() in the API server", statusOf(resp), err)
	}
	good := framework.UniqueName("metrics")
	agent.WriteManifest(good+".yaml", metricsPod(good, agent.Env.KubiaImage))
	agent.WaitPod(good, 60*time.Second, "Running", framework.Running)
	// A pull that must fail: the test bed registry has no such image.
	bad := framework.UniqueName("nopull")
	agent.WriteManifest(bad+".yaml", metricsPod(bad, agent.Env.Registry+"/minikubelet/does-not-exist:"+framework.RandomHex(4)))

	prom := startPrometheus(t, agent.Listen, agentScrapeAuth(agent))
	ctx := framework.Context(t, 90*time.Second)

	prom.waitValue(ctx, t, `sum(kubelet_runtime_operations_errors_total{operation_type="pull_image"})`,
		"failed image pulls counted", func(v float64) bool { return v >= 1 })
	readySandboxes := func() float64 {
		out := framework.Crictl(t, "pods", "--quiet", "--state", "ready", "--label", translate.NodeLabel+"="+agent.NodeName)
		return float64(len(strings.Fields(out)))
	}
	prom.waitValue(ctx, t, `kubelet_running_pods{metrics_path="/metrics"}`,
		"kubelet_running_pods equal to the node's ready sandboxes in crictl", func(v float64) bool { return v == readySandboxes() && v >= 1 })
	prom.waitValue(ctx, t, fmt.Sprintf(`container_memory_working_set_bytes{metrics_path="/metrics/resource", pod=%q, container="kubia"}`, good),
		"the running container's working set", func(v float64) bool { return v > 0 })
	prom.waitValue(ctx, t, `kubelet_desired_pods{static="true"}`, "desired pods", func(v float64) bool { return v == 2 })
}

func statusOf(resp *http.Response) any {
	if resp == nil {
		return "none"
	}
	resp.Body.Close()
	return resp.StatusCode
}

// promServer is a Prometheus started for one test.
type promServer struct {
	url string
	log string
}

// promAuth is how Prometheus authenticates to an agent, as
// examples/prometheus.yml does: HTTPS checked against the agent's
// certificate, and its token as a bearer credential.
type promAuth struct {
	caFile, tokenFile string
}

// agentScrapeAuth reads the agent's generated credentials from its root.
func agentScrapeAuth(agent *framework.Agent) *promAuth {
	return &promAuth{caFile: filepath.Join(agent.RootDir, "pki/minikubelet.crt"), tokenFile: filepath.Join(agent.RootDir, "token")}
}

// startPrometheus runs Debian's prometheus on a free loopback port,
// scraping target's three metrics paths every second with the labels of
// examples/prometheus.yml (and auth, when not nil), and stops it when the
// test ends.
func startPrometheus(t *testing.T, target string, auth *promAuth) *promServer {
	t.Helper()
	binary, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: run test/testbed/up.sh (Debian package prometheus)")
	}
	dir := t.TempDir()
	var config strings.Builder
	config.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	for job, path := range map[string]string{"minikubelet": "/metrics", "resource": "/metrics/resource", "cadvisor": "/metrics/cadvisor"} {
		fmt.Fprintf(&config, "- job_name: %s\n  metrics_path: %s\n  static_configs: [{targets: [%q]}]\n", job, path, target)
		config.WriteString("  relabel_configs:\n  - {source_labels: [__metrics_path__], target_label: metrics_path}\n")
		if auth != nil {
			fmt.Fprintf(&config, "  scheme: https\n  tls_config: {ca_file: %q}\n  authorization: {credentials_file: %q}\n", auth.caFile, auth.tokenFile)
		}
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	p := &promServer{url: "http://" + listen, log: filepath.Join(dir, "prometheus.log")}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "--config.file="+configFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	if _, err := framework.HTTPGet(framework.Context(t, 30*time.Second), p.url+"/-/ready"); err != nil {
		t.Fatalf("prometheus never became ready: %v\n%s", err, p.logs())
	}
	return p
}

func (p *promServer) logs() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitValue polls an instant query until it returns exactly one sample
// that satisfies ok, failing with the last answer and the targets' health.
func (p *promServer) waitValue(ctx context.Context, t *testing.T, query, what string, ok func(float64) bool) {
	t.Helper()
	var last string
	for {
		values, err := p.query(ctx, query)
		switch {
		case err != nil:
			last = err.Error()
		case len(values) != 1:
			last = fmt.Sprintf("%d samples: %v", len(values), values)
		case ok(values[0]):
			t.Logf("%s: %s = %v", what, query, values[0])
			return
		default:
			last = fmt.Sprintf("value %v", values[0])
		}
		select {
		case <-ctx.Done():
			targets, _ := framework.HTTPGet(context.Background(), p.url+"/api/v1/targets")
			t.Fatalf("%s: %s never held; last answer: %s\ntargets: %s\nprometheus log:\n%s", what, query, last, targets, p.logs())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// query runs a PromQL instant query and returns the samples' values.
func (p *promServer) query(ctx context.Context, query string) ([]float64, error) {
	body, err := framework.HTTPGet(ctx, p.url+"/api/v1/query?query="+url.QueryEscape(query))
	if err != nil {
		return nil, err
	}
	var answer struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		return nil, fmt.Errorf("decoding query answer %q: %w", body, err)
	}
	if answer.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", query, answer.Error)
	}
	var values []float64
	for _, r := range answer.Data.Result {
		text, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("sample value %v: %w", r.Value[1], err)
		}
		values = append(values, v)
	}
	return values, nil
}
