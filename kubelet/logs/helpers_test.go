package logs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// baseTime is the first timestamp of generated log lines.
var baseTime = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// at returns baseTime plus n seconds.
func at(n int) time.Time { return baseTime.Add(time.Duration(n) * time.Second) }

// criLine formats one CRI log record.
func criLine(ts time.Time, stream string, partial bool, msg string) string {
	tag := "F"
	if partial {
		tag = "P"
	}
	return fmt.Sprintf("%s %s %s %s\n", ts.Format(time.RFC3339Nano), stream, tag, msg)
}

// fullLines returns CRI records "prefix<i>" on stdout for i in [from, to),
// timestamped at(i).
func fullLines(prefix string, from, to int) string {
	var b bytes.Buffer
	for i := from; i < to; i++ {
		b.WriteString(criLine(at(i), "stdout", false, fmt.Sprintf("%s%d", prefix, i)))
	}
	return b.String()
}

// logDir returns a container log directory and its live file path.
func logDir(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ns_pod_uid", "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "0.log")
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeGzip(t testing.TB, path, content string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(content))
	zw.Close()
	writeFile(t, path, b.String())
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// readAll runs a non-follow read and returns its output.
func readAll(t *testing.T, path string, opts Options) (string, Stats) {
	t.Helper()
	var out bytes.Buffer
	stats, err := ReadLogs(t.Context(), Request{Path: path, Options: opts}, &out)
	if err != nil {
		t.Fatalf("ReadLogs: %v", err)
	}
	return out.String(), stats
}

// numbered returns "prefix<i>\n" for i in [from, to).
func numbered(prefix string, from, to int) string {
	var b bytes.Buffer
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s%d\n", prefix, i)
	}
	return b.String()
}

// openDirOf opens the log directory of a live log path as the reader does.
func openDirOf(t *testing.T, path string) *dirHandle {
	t.Helper()
	dir, err := openLogDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dir.close)
	return dir
}
