package agent

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the test process has used, user and system. The
// bound on parsing is a bound on it: a loaded machine (CI's unit tests
// and fuzzing run beside two builds) stretches the wall time of the same
// work.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		t.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// FuzzParseConfig feeds the config file decoder arbitrary files (seeds in
// testdata/fuzz/FuzzParseConfig) and checks what holds for every input:
// no panic, a bounded error, fast.
func FuzzParseConfig(f *testing.F) {
	if shipped, err := os.ReadFile("../../deploy/config.yaml"); err == nil {
		f.Add(shipped)
	}
	f.Add([]byte("manifestDir: /srv/m\nrelistPeriod: 500ms\npeers: [192.168.1.12=10.88.2.0/24]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		errc := make(chan error, 1)
		startCPU := cpuTime(t)
		go func() {
			_, err := parseConfig(data, DefaultOptions())
			errc <- err
		}()
		var err error
		select {
		case err = <-errc:
		case <-time.After(30 * time.Second): // a hang, whatever the load
			t.Fatalf("parsing %q did not end within 30s", data)
		}
		if cpu := cpuTime(t) - startCPU; cpu > 2*time.Second {
			t.Errorf("parsing %q took %s of CPU, want at most 2s", data, cpu)
		}
		if err == nil {
			return
		}
		text := err.Error()
		if lines := strings.Count(text, "\n"); lines > maxConfigProblems+1 {
			t.Errorf("the error has %d lines", lines)
		}
		if len(text) > (maxConfigProblems+2)*(maxConfigLine+8) {
			t.Errorf("the error has %d bytes", len(text))
		}
		var list problemList
		if errors.As(err, &list) && len(list.list) > maxConfigProblems {
			t.Errorf("%d problems kept", len(list.list))
		}
	})
}
