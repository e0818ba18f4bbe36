package metrics

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

const examplesDir = "../examples"

// dashboardQueries returns every PromQL expression in the example
// dashboard, its panels' and its variables'.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	return exprs
}

// metricNameInQuery matches selectors such as pod_cpu_usage_seconds_total{;
// every query in the dashboard selects by job, so names precede a brace.
var metricNameInQuery = regexp.MustCompile(`\b((?:kubelet|minikubelet|pod|container|node)_[a-z_]+)\{`)

// TestDashboardUsesExportedMetrics fails when a dashboard panel queries a
// metric none of the three endpoints exports, which would leave it empty.
func TestDashboardUsesExportedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	k, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	exerciseAllMetrics(k)
	h := newTestHandlers(t, twoPodRuntime(), reg)
	exported := map[string]bool{}
	for _, handler := range []interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request)
	}{h.Metrics, h.Resource, h.Cadvisor} {
		for name := range scrape(t, handler) {
			exported[name] = true
		}
	}
	for _, expr := range dashboardQueries(t) {
		for _, match := range metricNameInQuery.FindAllStringSubmatch(expr, -1) {
			name := match[1]
			family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !exported[family] {
				t.Errorf("dashboard queries %s, which minikubelet does not export: %s", name, expr)
			}
		}
	}
}

// TestExamplesPassPromtool checks the scrape config and, through a rule
// file, that every dashboard query is valid PromQL.
func TestExamplesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus)")
	}
	// promtool opens the files the config names: point them at stand-ins
	// for the agent's certificate and token.
	config, err := os.ReadFile(filepath.Join(examplesDir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "token"), []byte("t\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "minikubelet.crt"), nil, 0o644)
	standIns := strings.NewReplacer("/var/lib/minikubelet/token", filepath.Join(dir, "token"),
		"/var/lib/minikubelet/pki/minikubelet.crt", filepath.Join(dir, "minikubelet.crt"))
	checked := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(checked, []byte(standIns.Replace(string(config))), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", checked).CombinedOutput(); err != nil {
		t.Errorf("promtool check config examples/prometheus.yml: %v\n%s", err, out)
	}

	// Grafana substitutes its variables before Prometheus sees a query.
	grafanaVars := strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*")
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	for i, expr := range dashboardQueries(t) {
		quoted, _ := json.Marshal(grafanaVars.Replace(expr)) // JSON strings are YAML strings
		fmt.Fprintf(&rules, "  - record: dashboard:query%d\n    expr: %s\n", i, quoted)
	}
	file := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("a dashboard query is not valid PromQL: %v\n%s\n%s", err, out, rules.String())
	}
}
