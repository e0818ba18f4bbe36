package soak

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatusMemory(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		want         ProcMemory
		wantErr      string
	}{
		{
			name:   "kernel layout",
			status: "Name:\tminikubelet\nVmRSS:\t   34000 kB\nRssAnon:\t   11264 kB\nRssFile:\t   22736 kB\nRssShmem:\t       0 kB\n",
			want:   ProcMemory{Anon: 11264 << 10, File: 22736 << 10},
		},
		{name: "old kernel", status: "Name:\tx\nVmRSS:\t 1 kB\n", wantErr: "no RssAnon"},
		{name: "not kB", status: "RssAnon:\t1 MB\nRssFile:\t1 kB\n", wantErr: "want a value in kB"},
		{name: "not a number", status: "RssAnon:\tx kB\nRssFile:\t1 kB\n", wantErr: "RssAnon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatusMemory([]byte(tc.status))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	// Fields 14 and 15 (utime, stime) are 250 and 50 ticks: 3 s.
	tail := " S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0 100 0 0"
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		wantErr    string
	}{
		{name: "plain name", stat: "42 (minikubelet)" + tail, want: 3 * time.Second},
		{name: "name with spaces and parentheses", stat: "42 (a) b (c)" + tail, want: 3 * time.Second},
		{name: "no name", stat: "42 minikubelet S", wantErr: "parentheses"},
		{name: "cut short", stat: "42 (x) S 1 2", wantErr: "fields after the command name"},
		{name: "not a number", stat: "42 (x) S 1 2 3 4 5 6 7 8 9 10 x 50", wantErr: "field 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatCPU([]byte(tc.stat))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// ReadProc on the test process itself: the figures are there and sane.
func TestReadProcOfSelf(t *testing.T) {
	mem, _, fds, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if mem.Anon <= 0 || mem.File <= 0 || fds < 3 {
		t.Fatalf("memory %+v, %d open files: not a live process's", mem, fds)
	}
}
