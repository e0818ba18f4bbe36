package soak

import (
	"strings"
	"testing"
)

func TestParseScrape(t *testing.T) {
	const text = `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 42
go_memstats_heap_inuse_bytes 6.5e+06
prober_probe_total{container="kubia",pod="soak-plain-1",probe_type="Liveness",result="successful"} 3
kubelet_running_pods 2

`
	scrape, err := ParseScrape(strings.NewReader(text), []string{"go_goroutines", "go_memstats_heap_inuse_bytes"}, `"soak-`)
	if err != nil {
		t.Fatal(err)
	}
	if scrape.Values["go_goroutines"] != 42 || scrape.Values["go_memstats_heap_inuse_bytes"] != 6.5e6 {
		t.Fatalf("values %v", scrape.Values)
	}
	if scrape.Series != 4 {
		t.Fatalf("%d series, want 4", scrape.Series)
	}
	if len(scrape.Matching) != 1 || !strings.HasPrefix(scrape.Matching[0], "prober_probe_total{") {
		t.Fatalf("matching %q", scrape.Matching)
	}
}

func TestParseScrapeErrors(t *testing.T) {
	for _, tc := range []struct{ name, text, wantErr string }{
		{"missing", "kubelet_running_pods 2\n", "no sample go_goroutines"},
		{"not a number", "go_goroutines many\n", "metric go_goroutines"},
		{"a prefix is not the name", "go_goroutines_total 2\n", "no sample go_goroutines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScrape(strings.NewReader(tc.text), []string{"go_goroutines"}, "")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseScrapeBoundsMatches(t *testing.T) {
	text := "go_goroutines 1\n" + strings.Repeat(`x{pod="soak-a"} 1`+"\n", 50)
	scrape, err := ParseScrape(strings.NewReader(text), []string{"go_goroutines"}, "soak-")
	if err != nil || len(scrape.Matching) != maxMatching || scrape.Series != 51 {
		t.Fatalf("%d matching, %d series, %v", len(scrape.Matching), scrape.Series, err)
	}
}
