package metrics

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	clientmetrics "k8s.io/client-go/tools/metrics"
)

// Each request client-go reports is counted by code, method and host.
func TestRESTClientRequestsAreCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := RegisterRESTClient(reg); err != nil {
		t.Fatal(err)
	}
	clientmetrics.RequestResult.Increment(context.Background(), "200", "PUT", "127.0.0.1:16443")
	clientmetrics.RequestResult.Increment(context.Background(), "200", "PUT", "127.0.0.1:16443")
	want := `
# HELP rest_client_requests_total Number of HTTP requests to the cluster's API server, partitioned by status code, method, and host.
# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",host="127.0.0.1:16443",method="PUT"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "rest_client_requests_total"); err != nil {
		t.Error(err)
	}
}
