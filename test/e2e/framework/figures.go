package framework

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// Figures is one row of the table `make chaos` prints at the end of a run:
// what a fault test did and what it measured. Tests judge behaviour (pods
// converge, nothing leaks, nothing restarts); the times here are printed,
// never judged, beyond each test's generous convergence timeout.
type Figures struct {
	// Case names the fault, e.g. "agent SIGKILLed while 20 pods start".
	Case string
	// Runtime is the test bed runtime the case ran on; RecordFigures
	// fills it in when empty.
	Runtime string
	// Faults says how many faults were injected, e.g. "12 agent kills".
	Faults string
	// Pods is how many pods the case ran.
	Pods int
	// Restarts counts container restarts seen; RestartsExpected how many
	// the case causes on purpose (usually none).
	Restarts, RestartsExpected int
	// Converged is how long after the last fault the pods were as the
	// manifests ask (running, replaced or gone), as the agent's API shows.
	Converged time.Duration
	// Clean is how long after the last fault the inventory check passed:
	// runtime, host and CNI state all as wanted. It includes the check's
	// own crictl calls, seconds on a busy 2-core machine.
	Clean time.Duration
	// Released is what the agent released on its own (leaked addresses,
	// orphaned files), "" when not relevant.
	Released string
	// LogLines counts the agent's log lines about the fault, e.g.
	// "1 down, 1 back", "" when not relevant.
	LogLines string
	// Note is anything else worth a reader's eye.
	Note string
}

var (
	figuresMu sync.Mutex
	figures   []Figures
)

// RecordFigures logs a case's figures and keeps them for PrintFigures.
func RecordFigures(t testing.TB, f Figures) {
	t.Helper()
	if f.Runtime == "" {
		f.Runtime = LoadEnv(t).runtimeName()
	}
	t.Logf("figures: %s", f.row())
	figuresMu.Lock()
	defer figuresMu.Unlock()
	figures = append(figures, f)
}

// figureColumns are the table's header.
var figureColumns = []string{"case", "runtime", "faults", "pods", "restarts (expected)", "converged after last fault", "inventory clean after", "released by the agent", "agent log lines", "note"}

func (f Figures) row() string {
	cells := []string{
		f.Case, f.Runtime, orDash(f.Faults), fmt.Sprint(f.Pods),
		fmt.Sprintf("%d (%d)", f.Restarts, f.RestartsExpected), durationOrDash(f.Converged), durationOrDash(f.Clean),
		orDash(f.Released), orDash(f.LogLines), orDash(f.Note),
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

func durationOrDash(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return d.Round(100 * time.Millisecond).String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// PrintFigures writes every recorded row as a Markdown table, in the order
// the cases ran; it writes nothing when no case recorded figures.
func PrintFigures(w io.Writer) {
	figuresMu.Lock()
	defer figuresMu.Unlock()
	if len(figures) == 0 {
		return
	}
	fmt.Fprintln(w, "\nfigures:")
	fmt.Fprintln(w, "| "+strings.Join(figureColumns, " | ")+" |")
	fmt.Fprintln(w, strings.Repeat("| --- ", len(figureColumns))+"|")
	for _, f := range figures {
		fmt.Fprintln(w, f.row())
	}
}
