package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A config file gets the same bounds as a manifest: a bounded read, and
// a bounded list of problems however many the file has.

func TestLoadConfigFileBoundsItsProblems(t *testing.T) {
	var fields strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&fields, "unknownOption%d: %d\n", i, i)
	}
	_, err := LoadConfigFile(writeConfig(t, fields.String()), DefaultOptions())
	if err == nil {
		t.Fatal("a file of 5000 unknown fields was accepted")
	}
	lines := strings.Count(err.Error(), "\n  - ")
	if lines > maxConfigProblems+1 || len(err.Error()) > (maxConfigProblems+2)*maxConfigLine {
		t.Errorf("the error has %d lines and %d bytes, want at most %d lines", lines, len(err.Error()), maxConfigProblems+1)
	}
	if !strings.Contains(err.Error(), ": 5000 problems:\n") || !strings.HasSuffix(err.Error(), "\n  - …and 4900 more") {
		t.Errorf("the error does not count them all and end saying how many more: %q…%q",
			err.Error()[:min(200, len(err.Error()))], err.Error()[max(0, len(err.Error())-200):])
	}
}

func TestLoadConfigFileRefusesHugeAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("manifestDir: /x\n"+strings.Repeat("# padding\n", 200<<10)), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long.yaml")
	if err := os.WriteFile(long, []byte("cniBinDirs: ["+strings.Repeat("a,", 100000)+"a]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		big:  "it is over the 1024 KiB limit for a config file",
		fifo: "it is not a regular file",
		long: "it holds more list items, fields or lines than a config file ever needs",
	}
	for path, want := range tests {
		errc := make(chan error, 1)
		go func() {
			_, err := LoadConfigFile(path, DefaultOptions())
			errc <- err
		}()
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s: err = %v, want it to name the file and say %q", filepath.Base(path), err, want)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: still reading after 5s", filepath.Base(path))
		}
	}
}
