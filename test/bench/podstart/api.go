package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// agentClient talks to the agent's API as its administrator, with the
// token and certificate the agent wrote into ROOT-DIR/admin.kubeconfig,
// as kubectl and the e2e framework do.
type agentClient struct {
	http *http.Client
	base string
}

func newAgentClient(kubeconfig string) (*agentClient, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading the agent's kubeconfig %s: %w", kubeconfig, err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("building a client from %s: %w", kubeconfig, err)
	}
	client.Timeout = 30 * time.Second
	return &agentClient{http: client, base: cfg.Host}, nil
}

// Accept headers: the Prometheus text format, which the bench parses (not
// OpenMetrics or protobuf); the Table `kubectl get pods` asks for; and a
// plain list, as client-go's informers ask.
const (
	acceptMetrics = "text/plain;version=0.0.4"
	acceptTable   = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
	acceptList    = "application/json"
)

// get fetches path and returns the body, failing on any status but 200.
func (c *agentClient) get(ctx context.Context, path, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", path, resp.Status, body)
	}
	return body, nil
}

// metrics scrapes the agent's /metrics.
func (c *agentClient) metrics(ctx context.Context) (agentMetrics, error) {
	body, err := c.get(ctx, "/metrics", acceptMetrics)
	if err != nil {
		return agentMetrics{}, err
	}
	return parseAgentMetrics(bytes.NewReader(body))
}

// listPods times requests sequential GET /api/v1/pods with the given
// Accept header over one kept-alive connection: the server's cost, not the
// TLS handshake's.
func (c *agentClient) listPods(ctx context.Context, requests int, accept string) (apiResult, error) {
	var res apiResult
	for i := 0; i < requests; i++ {
		start := time.Now()
		body, err := c.get(ctx, "/api/v1/pods", accept)
		if err != nil {
			return res, err
		}
		res.latencies = append(res.latencies, time.Since(start))
		res.bytes = len(body)
		if i == 0 {
			var list struct {
				Items []json.RawMessage `json:"items"` // a PodList
				Rows  []json.RawMessage `json:"rows"`  // a Table
			}
			if err := json.Unmarshal(body, &list); err != nil {
				return res, fmt.Errorf("decoding GET /api/v1/pods: %w", err)
			}
			res.items = len(list.Items) + len(list.Rows)
		}
	}
	return res, nil
}
