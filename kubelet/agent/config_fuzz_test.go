package agent

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/testutil"
)

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
		startCPU := testutil.CPUTime(t)
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
		if cpu := testutil.CPUTime(t) - startCPU; cpu > 2*time.Second {
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
