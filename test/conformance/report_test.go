package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A report as ginkgo writes it, cut down: one spec passed, one failed, one
// skipped by the test itself, one filtered out by the focus (never
// attempted), a passing suite node and a failed AfterSuite.
const sampleReport = `[{"PreRunStats":{"TotalSpecs":4,"SpecsThatWillRun":3},"SpecReports":[
 {"ContainerHierarchyTexts":["[sig-node] Pods"],"LeafNodeType":"It","LeafNodeText":"should be submitted and removed","State":"passed","StartTime":"2026-12-05T23:00:00Z","NumAttempts":1,"RunTime":2000000000},
 {"ContainerHierarchyTexts":["[sig-node] Probing container"],"LeafNodeType":"It","LeafNodeText":"should be restarted","State":"failed","StartTime":"2026-12-05T23:00:02Z","NumAttempts":1,"RunTime":5000000000,
  "Failure":{"Message":"restart count 0\nwanted 1","Location":{"FileName":"/root/go/pkg/mod/k8s.io/kubernetes@v1.37.2/test/e2e/common/node/container_probe.go","LineNumber":42}}},
 {"ContainerHierarchyTexts":["[sig-node] Sysctls"],"LeafNodeType":"It","LeafNodeText":"should support sysctls","State":"skipped","StartTime":"2026-12-05T23:00:07Z","NumAttempts":1,"RunTime":1000000,"Failure":{"Message":"Only supported for providers [gce]"}},
 {"ContainerHierarchyTexts":["[sig-apps] Deployment"],"LeafNodeType":"It","LeafNodeText":"filtered","State":"skipped","StartTime":"2026-12-05T23:00:00Z","NumAttempts":0},
 {"LeafNodeType":"SynchronizedBeforeSuite","State":"passed","StartTime":"2026-12-05T22:59:00Z"},
 {"LeafNodeType":"AfterSuite","State":"failed","StartTime":"2026-12-05T23:01:00Z","Failure":{"Message":"cleanup failed"}}
]}]`

func TestReadSummaryCountsOnlyTheSelectedSpecs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, []byte(sampleReport), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Line(), "conformance: 1 passed, 2 failed, 1 skipped of 3 selected"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	var probe *Outcome
	for i := range s.Outcomes {
		if strings.Contains(s.Outcomes[i].Name, "Probing") {
			probe = &s.Outcomes[i]
		}
		if strings.Contains(s.Outcomes[i].Name, "filtered") {
			t.Errorf("a spec the focus filtered out is listed: %+v", s.Outcomes[i])
		}
	}
	if probe == nil || probe.Reason != "restart count 0" || probe.Location != "test/e2e/common/node/container_probe.go:42" {
		t.Errorf("failed spec's outcome %+v, want its first message line and its place in the tree", probe)
	}
}

func TestReadSummaryCountsSpecsAnInterruptedRunNeverStarted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	report := `[{"PreRunStats":{"SpecsThatWillRun":5},"SpecReports":[
 {"ContainerHierarchyTexts":["[sig-node] Pods"],"LeafNodeType":"It","LeafNodeText":"a","State":"passed","StartTime":"2026-12-05T23:00:00Z","NumAttempts":1},
 {"ContainerHierarchyTexts":["[sig-node] Pods"],"LeafNodeType":"It","LeafNodeText":"b","State":"interrupted","StartTime":"2026-12-05T23:00:01Z","NumAttempts":1}]}]`
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := ReadSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Line(), "conformance: 1 passed, 4 failed, 0 skipped of 5 selected"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}

func TestWriteMarkdownListsWhatDidNotPassFirst(t *testing.T) {
	s := Summary{Selected: 2, Passed: 1, Failed: 1, Outcomes: []Outcome{
		{Name: "[sig-node] A", State: "passed"},
		{Name: "[sig-node] B | pipes", State: "failed", Reason: "boom"},
	}}
	path := filepath.Join(t.TempDir(), "summary.md")
	if err := WriteMarkdown(path, s, "# Run"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	b, a := strings.Index(text, "B \\| pipes"), strings.Index(text, "[sig-node] A")
	if b < 0 || a < 0 || b > a {
		t.Errorf("want the failed spec (pipe escaped) before the passed one:\n%s", text)
	}
	if !strings.Contains(text, "conformance: 1 passed, 1 failed, 0 skipped of 2 selected") {
		t.Errorf("no summary line:\n%s", text)
	}
}
