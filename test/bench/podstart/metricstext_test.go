package main

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minikubelet/minikubelet/metrics"
)

// scrape serves the agent's real metrics the way its /metrics does and
// parses the answer, so a renamed metric fails here, not in a bench run.
func scrape(t *testing.T, k *metrics.Kubelet, reg *prometheus.Registry) agentMetrics {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", acceptMetrics)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, req)
	m, err := parseAgentMetrics(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseAgentMetricsReadsTheAgentsOwnMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	k, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	before := scrape(t, k, reg)
	for i := 0; i < 3; i++ { // three relists of 2 ms and 4 ms...
		k.ObserveOperation("list_podsandbox", time.Millisecond, nil)
		k.ObserveOperation("list_containers", time.Millisecond, nil)
		k.ObservePLEGRelist(time.Duration(2*(i+1))*time.Millisecond, time.Second)
	}
	// ... and one pod start, whose status read failed: failures count too.
	for _, op := range []string{"image_status", "run_podsandbox", "create_container", "start_container"} {
		k.ObserveOperation(op, time.Millisecond, nil)
	}
	k.ObserveOperation("podsandbox_status", time.Millisecond, errors.New("boom"))
	d := scrape(t, k, reg).since(before)

	if d.relists != 3 {
		t.Errorf("relists = %v, want 3", d.relists)
	}
	if got := time.Duration(d.relistSeconds * float64(time.Second)); got < 11*time.Millisecond || got > 13*time.Millisecond {
		t.Errorf("relist time = %s, want 12ms", got)
	}
	if d.goroutines < 1 {
		t.Errorf("goroutines = %v, want the Go collector's count", d.goroutines)
	}
	want := "create_container 1, image_status 1, podsandbox_status 1, run_podsandbox 1, start_container 1"
	if got := d.workOps().String(); got != want {
		t.Errorf("calls without the relists' lists = %q, want %q", got, want)
	}
	if got := d.ops.total(); got != 11 {
		t.Errorf("all calls = %v, want 11", got)
	}
}

func TestParseAgentMetricsRefusesWhatIsNotTheAgent(t *testing.T) {
	for name, text := range map[string]string{
		"other metrics": "# TYPE up gauge\nup 1\n",
		"not metrics":   "<html>login</html>\n",
	} {
		if _, err := parseAgentMetrics(strings.NewReader(text)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestIsQuiet(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    agentMetrics
		want bool
	}{
		{"relists only", agentMetrics{relists: 2, ops: opCounts{opListSandboxes: 2, opListContainers: 2}}, true},
		{"a relist under way at the scrape", agentMetrics{relists: 1, ops: opCounts{opListSandboxes: 2, opListContainers: 1}}, true},
		{"counted late", agentMetrics{relists: 2, ops: opCounts{opListSandboxes: 1, opListContainers: 1}}, true},
		{"a status read", agentMetrics{relists: 1, ops: opCounts{opListSandboxes: 1, opListContainers: 1, "container_status": 1}}, false},
		{"extra lists", agentMetrics{relists: 1, ops: opCounts{opListSandboxes: 3, opListContainers: 1}}, false},
	} {
		if got := isQuiet(tc.d); got != tc.want {
			t.Errorf("%s: isQuiet = %v, want %v", tc.name, got, tc.want)
		}
	}
}
