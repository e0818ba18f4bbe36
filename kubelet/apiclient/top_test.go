package apiclient

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/metrics"
)

// setUsage is a UsageSource with set figures.
type setUsage struct{ usage metrics.Usage }

func (s setUsage) Usage(context.Context) (metrics.Usage, error) { return s.usage, nil }

func usageOf(cpuMilli, memMiB uint64) metrics.ResourceUsage {
	return metrics.ResourceUsage{CPUNanoCores: cpuMilli * 1e6, MemoryBytes: memMiB << 20, Timestamp: agentClock, Window: time.Second, OK: true}
}

// startMetricsAPI serves the node API with usage for web (two containers),
// db and kube-system's proxy, on a node of 2 CPUs and 4 GiB.
func startMetricsAPI(t *testing.T) Connection {
	t.Helper()
	usage := setUsage{metrics.Usage{
		Node: usageOf(500, 1024),
		Containers: []metrics.ContainerUsage{
			{Namespace: "default", Pod: "web", Container: "app", ResourceUsage: usageOf(250, 64)},
			{Namespace: "default", Pod: "web", Container: "side", ResourceUsage: usageOf(5, 16)},
			{Namespace: "default", Pod: "db", Container: "app", ResourceUsage: usageOf(100, 200)},
			{Namespace: "kube-system", Pod: "proxy", Container: "app", ResourceUsage: usageOf(1, 8)},
		},
	}}
	agent, conn := startNodeAPIConfigured(t, nil, func(cfg *apiserver.Config) {
		cfg.Usage = usage
		cfg.Node = apiserver.NodeInfo{CPUs: 2, MemoryBytes: 4 << 30}
	})
	threePods(t, agent)
	return conn
}

func top(t *testing.T, conn Connection, opts TopOptions) (string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Stdout = &out
	err := Top(context.Background(), conn, opts)
	return out.String(), err
}

func TestTopPrintsAsKubectlDoes(t *testing.T) {
	conn := startMetricsAPI(t)
	tests := []struct {
		name string
		opts TopOptions
		want string
	}{
		{"pods of the namespace, by name", TopOptions{Resource: "pod"},
			"NAME   CPU(cores)   MEMORY(bytes)   \n" +
				"db     100m         200Mi           \n" +
				"web    255m         80Mi            \n"},
		{"containers", TopOptions{Resource: "pods", Containers: true, SortBy: "cpu"},
			"POD   NAME   CPU(cores)   MEMORY(bytes)   \n" +
				"web   app    250m         64Mi            \n" +
				"db    app    100m         200Mi           \n" +
				"web   side   5m           16Mi            \n"},
		{"every namespace by memory, no headers", TopOptions{Resource: "po", AllNamespaces: true, SortBy: "memory", NoHeaders: true},
			"default       db      100m   200Mi   \n" +
				"default       web     255m   80Mi    \n" +
				"kube-system   proxy   1m     8Mi     \n"},
		{"one pod", TopOptions{Resource: "pod", Name: "web"},
			"NAME   CPU(cores)   MEMORY(bytes)   \n" +
				"web    255m         80Mi            \n"},
		{"by label", TopOptions{Resource: "pod", Selector: "app=db"},
			"NAME   CPU(cores)   MEMORY(bytes)   \n" +
				"db     100m         200Mi           \n"},
		{"the node, against its allocatable", TopOptions{Resource: "node"},
			"NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \n" +
				"node-1   500m         25%      1024Mi          25%         \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := top(t, conn, tt.opts)
			if err != nil || got != tt.want {
				t.Errorf("top = %v\n%q\nwant\n%q", err, got, tt.want)
			}
		})
	}
}

func TestTopSaysWhatIsMissing(t *testing.T) {
	conn := startMetricsAPI(t)
	tests := []struct {
		opts TopOptions
		want string
	}{
		{TopOptions{Resource: "pod", Name: "nope"}, `metrics of pod "nope" not found`},
		{TopOptions{Resource: "services"}, `top "services": use top pod or top node`},
		{TopOptions{Resource: "pod", SortBy: "name"}, `--sort-by "name": use cpu or memory`},
		{TopOptions{Resource: "node", Containers: true}, "--containers and --all-namespaces are for top pod"},
	}
	for _, tt := range tests {
		if _, err := top(t, conn, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.opts, err, tt.want)
		}
	}
}
