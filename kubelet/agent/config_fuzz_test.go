package agent

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
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
		go func() {
			_, err := parseConfig(data, DefaultOptions())
			errc <- err
		}()
		var err error
		select {
		case err = <-errc:
		case <-time.After(2 * time.Second):
			t.Fatalf("parsing %q took over 2s", data)
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
