package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minikubelet/minikubelet/test/testutil"
)

// benchRuntime is a node with 100 pods of two containers each and no pod
// stats, as containerd 1.6 reports them, so pod figures are summed too.
func benchRuntime() *fakeRuntime {
	f := &fakeRuntime{}
	for i := range 100 {
		f.addPod("bench", fmt.Sprintf("pod-%03d", i), "app", "sidecar")
	}
	return f
}

// benchmarkScrape scrapes h b.N times and reports the agent's CPU time per
// scrape (target: under 20 ms with 100 pods) besides wall time and
// allocations. With fetchEveryTime the stats cache is bypassed, so each
// scrape also converts the runtime's lists; otherwise scrapes within the
// TTL reuse one fetch, as Prometheus scraping both endpoints does.
func benchmarkScrape(b *testing.B, endpoint func(*Handlers) http.Handler, fetchEveryTime bool) {
	h := newTestHandlers(b, benchRuntime(), prometheus.NewRegistry())
	if fetchEveryTime {
		h.cache.ttl = 0
	} else {
		h.cache.ttl = time.Hour
	}
	handler := endpoint(h)
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip") // as Prometheus asks
	b.ReportAllocs()
	b.ResetTimer()
	start := testutil.CPUTime(b)
	for b.Loop() {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
	b.ReportMetric(float64(testutil.CPUTime(b)-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/scrape")
}

func BenchmarkResourceScrape100Pods(b *testing.B) {
	benchmarkScrape(b, func(h *Handlers) http.Handler { return h.Resource }, true)
}

func BenchmarkCadvisorScrape100Pods(b *testing.B) {
	benchmarkScrape(b, func(h *Handlers) http.Handler { return h.Cadvisor }, true)
}

func BenchmarkCadvisorScrape100PodsCached(b *testing.B) {
	benchmarkScrape(b, func(h *Handlers) http.Handler { return h.Cadvisor }, false)
}
