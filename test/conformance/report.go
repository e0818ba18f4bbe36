// Package conformance runs Kubernetes' own e2e suite (its node conformance
// tests by default) against a cluster whose nodes are minikubelet agents,
// and sums up ginkgo's report. The run itself is conformance_test.go, under
// the build tag conformance (make conformance).
package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// Outcome is what became of one selected spec.
type Outcome struct {
	Name     string        // the spec's full text, as ginkgo prints it
	State    string        // passed, failed, skipped, timedout, panicked, ...
	Reason   string        // a failure's or skip's message, first line
	Location string        // where the failure or skip happened
	Duration time.Duration // how long the spec ran
}

// Summary is the run's result over the selected specs.
type Summary struct {
	Selected int
	Passed   int
	Failed   int // every state but passed and skipped
	Skipped  int
	Outcomes []Outcome
}

// Line is the one line a run ends with.
func (s Summary) Line() string {
	return fmt.Sprintf("conformance: %d passed, %d failed, %d skipped of %d selected", s.Passed, s.Failed, s.Skipped, s.Selected)
}

// ginkgoReport is the part of ginkgo's JSON report (--ginkgo.json-report)
// that is read here: a list of suites, each with its spec reports.
type ginkgoReport []struct {
	PreRunStats struct {
		SpecsThatWillRun int
	}
	SpecReports []struct {
		ContainerHierarchyTexts []string
		LeafNodeType            string
		LeafNodeText            string
		State                   string
		NumAttempts             int
		RunTime                 time.Duration
		Failure                 struct {
			Message  string
			Location struct {
				FileName   string
				LineNumber int
			}
		}
	}
}

// ReadSummary reads ginkgo's JSON report at path. Only the specs the focus
// selected count: ginkgo also lists the ones its filter skipped, which it
// never attempts; suite-level nodes (BeforeSuite and the like) count when
// they fail, so a run that broke before any spec is not a pass.
func ReadSummary(path string) (Summary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Summary{}, fmt.Errorf("read ginkgo's report: %w", err)
	}
	var report ginkgoReport
	if err := json.Unmarshal(data, &report); err != nil {
		return Summary{}, fmt.Errorf("parse ginkgo's report %s: %w", path, err)
	}
	var s Summary
	willRun := 0
	for _, suite := range report {
		willRun += suite.PreRunStats.SpecsThatWillRun
		for _, spec := range suite.SpecReports {
			isSpec := spec.LeafNodeType == "It"
			if !isSpec && spec.State == "passed" {
				continue
			}
			if isSpec && spec.NumAttempts == 0 {
				continue // filtered out by the focus, or never reached
			}
			name := strings.TrimSpace(strings.Join(append(append([]string{}, spec.ContainerHierarchyTexts...), spec.LeafNodeText), " "))
			if !isSpec {
				name = "[" + spec.LeafNodeType + "] " + name
			}
			o := Outcome{Name: name, State: spec.State, Duration: spec.RunTime}
			if spec.State != "passed" {
				o.Reason = firstLine(spec.Failure.Message)
				if spec.Failure.Location.FileName != "" {
					o.Location = fmt.Sprintf("%s:%d", trimModulePath(spec.Failure.Location.FileName), spec.Failure.Location.LineNumber)
				}
			}
			s.add(o, isSpec)
		}
	}
	// An interrupted run leaves selected specs that never started: they
	// did not pass.
	if notRun := willRun - s.Selected; notRun > 0 {
		s.Selected += notRun
		s.Failed += notRun
		s.Outcomes = append(s.Outcomes, Outcome{Name: fmt.Sprintf("(%d selected specs never ran)", notRun), State: "not run", Reason: "the run was interrupted"})
	}
	sort.Slice(s.Outcomes, func(i, j int) bool { return s.Outcomes[i].Name < s.Outcomes[j].Name })
	return s, nil
}

func (s *Summary) add(o Outcome, isSpec bool) {
	s.Outcomes = append(s.Outcomes, o)
	switch {
	case !isSpec:
		s.Failed++ // a failed suite node; it is not one of the selected specs
	case o.State == "passed":
		s.Selected++
		s.Passed++
	case o.State == "skipped":
		s.Selected++
		s.Skipped++
	default:
		s.Selected++
		s.Failed++
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	const max = 300
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// trimModulePath shortens a source path of the module cache to its path in
// the Kubernetes tree, e.g. test/e2e/common/node/pods.go.
func trimModulePath(file string) string {
	if i := strings.Index(file, "/test/e2e/"); i >= 0 {
		return file[i+1:]
	}
	return file
}
