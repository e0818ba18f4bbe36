package soak

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxScrapeBytes bounds one scrape of the agent's metrics.
const maxScrapeBytes = 16 << 20

// Scrape is what the soak reads from one Prometheus text exposition.
type Scrape struct {
	// Values holds the samples without labels that were asked for.
	Values map[string]float64
	// Series counts the samples (lines that are not comments).
	Series int
	// Matching holds the first few samples whose line contains the
	// substring asked for, e.g. a label value naming a deleted pod.
	Matching []string
}

// maxMatching bounds Scrape.Matching.
const maxMatching = 10

// ParseScrape reads an exposition: the values of the unlabelled samples
// named in names, the number of series, and the samples containing match
// (none when match is empty).
func ParseScrape(r io.Reader, names []string, match string) (Scrape, error) {
	scrape := Scrape{Values: map[string]float64{}}
	scanner := bufio.NewScanner(io.LimitReader(r, maxScrapeBytes))
	scanner.Buffer(make([]byte, 64<<10), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		scrape.Series++
		if match != "" && strings.Contains(line, match) && len(scrape.Matching) < maxMatching {
			scrape.Matching = append(scrape.Matching, line)
		}
		for _, name := range names {
			if value, ok := strings.CutPrefix(line, name+" "); ok {
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil {
					return Scrape{}, fmt.Errorf("metric %s: %w", name, err)
				}
				scrape.Values[name] = v
			}
		}
	}
	if err := scanner.Err(); err != nil {
		return Scrape{}, fmt.Errorf("reading metrics: %w", err)
	}
	for _, name := range names {
		if _, ok := scrape.Values[name]; !ok {
			return Scrape{}, fmt.Errorf("the metrics have no sample %s", name)
		}
	}
	return scrape, nil
}
