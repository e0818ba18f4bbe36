package conformance

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// WriteMarkdown writes the summary as a table, one row per selected spec,
// for test/conformance/results/ and the README: what did not pass first.
func WriteMarkdown(path string, s Summary, header string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n\n", header, s.Line())
	b.WriteString("| test | result | reason |\n|---|---|---|\n")
	for _, pass := range []bool{false, true} {
		for _, o := range s.Outcomes {
			if (o.State == "passed") != pass {
				continue
			}
			reason := o.Reason
			if o.Location != "" {
				reason += " (" + o.Location + ")"
			}
			fmt.Fprintf(&b, "| %s | %s %s | %s |\n", cell(o.Name), o.State, o.Duration.Round(time.Second), cell(reason))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// cell keeps a table cell on one line and its pipes from splitting it.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
