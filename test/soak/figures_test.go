package soak

import (
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		values []int64
		want   int64
	}{
		{[]int64{5}, 5},
		{[]int64{3, 1, 2}, 2},
		{[]int64{4, 1, 3, 2}, 2},
		{[]int64{9, 9, 1, 9, 1}, 9},
	} {
		if got := median(tc.values); got != tc.want {
			t.Errorf("median(%v) = %d, want %d", tc.values, got, tc.want)
		}
	}
}

func churnAt(lifecycles int, anonMiB int64) Sample {
	return Sample{Phase: PhaseChurn, Lifecycles: lifecycles, Mem: ProcMemory{Anon: anonMiB << 20}}
}

func TestAnonGrowth(t *testing.T) {
	for _, tc := range []struct {
		name                string
		samples             []Sample
		total, window       int
		wantFirst, wantLast int64 // MiB
		wantErr             string
	}{
		{
			name: "a swing in each window does not count, the level does",
			samples: []Sample{
				{Phase: PhaseWarm, Mem: ProcMemory{Anon: 1 << 20}},
				churnAt(10, 10), churnAt(50, 30), churnAt(90, 11), churnAt(100, 12),
				churnAt(500, 14),
				churnAt(900, 20), churnAt(950, 40), churnAt(990, 21), churnAt(1000, 22),
				{Phase: PhaseEnd, Mem: ProcMemory{Anon: 50 << 20}},
			},
			total: 1000, window: 100, wantFirst: 11, wantLast: 21,
		},
		{
			name:    "windows without three samples take the first and last three",
			samples: []Sample{churnAt(150, 10), churnAt(160, 11), churnAt(170, 12), churnAt(180, 13), churnAt(190, 14), churnAt(200, 15)},
			total:   400, window: 100, wantFirst: 11, wantLast: 14,
		},
		{
			name:    "too few samples",
			samples: []Sample{churnAt(100, 10), {Phase: PhaseCheck}, churnAt(200, 11)},
			total:   200, window: 100, wantErr: "2 churn samples",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, last, err := AnonGrowth(tc.samples, tc.total, tc.window)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || first != tc.wantFirst<<20 || last != tc.wantLast<<20 {
				t.Fatalf("got %d, %d MiB (%v); want %d, %d", first>>20, last>>20, err, tc.wantFirst, tc.wantLast)
			}
		})
	}
}

func TestTable(t *testing.T) {
	table := Table([]Sample{
		{Phase: PhaseCold, At: time.Second, Mem: ProcMemory{Anon: 10 << 20, File: 20 << 20}, Goroutines: 40, FDs: 12, CPU: 500 * time.Millisecond},
		{Phase: PhaseChurn, At: 11 * time.Second, Lifecycles: 7, Pods: 24, Mem: ProcMemory{Anon: 15 << 19}, HeapInuse: 6 << 20,
			Goroutines: 300, FDs: 40, Series: 900, CPU: 2500 * time.Millisecond, Sandboxes: 25, Containers: 30, IPs: 24},
	})
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "RSS anon MiB") {
		t.Fatalf("want a header and two rows:\n%s", table)
	}
	// CPU: 2 s over 10 s is 20 % of a core.
	if got := strings.Fields(lines[2]); strings.Join(got, " ") != "churn 11s 7 24 7.5 0.0 6.0 300 40 900 2.5 20.0 25 30 24" {
		t.Fatalf("churn row: %q", got)
	}
	if got := strings.Fields(lines[1]); got[11] != "-" {
		t.Fatalf("the first row has no CPU share to show: %q", got)
	}
}

func TestThin(t *testing.T) {
	var samples []Sample
	samples = append(samples, Sample{Phase: PhaseCold}, Sample{Phase: PhaseWarm})
	for i := 1; i <= 100; i++ {
		samples = append(samples, churnAt(i, 1))
		if i == 50 {
			samples = append(samples, Sample{Phase: PhaseCheck, Lifecycles: 50})
		}
	}
	samples = append(samples, Sample{Phase: PhaseEnd, Lifecycles: 100})

	if got := Thin(samples, 200); len(got) != len(samples) {
		t.Fatalf("thinned %d samples that fit, want all %d", len(got), len(samples))
	}
	got := Thin(samples, 14)
	var churn []int
	for _, s := range got {
		if s.Phase == PhaseChurn {
			churn = append(churn, s.Lifecycles)
		}
	}
	if len(got) != 14 || len(churn) != 10 || churn[len(churn)-1] != 100 || churn[0] != 10 {
		t.Fatalf("thinned to %d rows, churn rows at lifecycles %v; want 14 rows, 10 churn rows evenly spread ending at 100", len(got), churn)
	}
	if got[0].Phase != PhaseCold || got[1].Phase != PhaseWarm || got[len(got)-1].Phase != PhaseEnd {
		t.Fatalf("the other samples must all stay, in order: %v", got)
	}
}
