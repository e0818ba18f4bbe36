package logs

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// scanAll returns every whole line a scanner finds in content, then the
// lines its end-of-data flush adds, as "stream:message".
func scanAll(t *testing.T, content string) ([]string, int64) {
	t.Helper()
	s := newLogScanner(strings.NewReader(content))
	var got []string
	name := map[streamID]string{stdout: "out", stderr: "err"}
	for {
		line, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, name[line.stream]+":"+string(line.message))
	}
	if line, ok := s.endOfFile(); ok {
		got = append(got, name[line.stream]+":"+string(line.message))
	}
	for _, line := range s.asm.flush() {
		got = append(got, name[line.stream]+":"+string(line.message)+"(unfinished)")
	}
	return got, s.malformed
}

func TestScannerJoinsPartialLinesPerStream(t *testing.T) {
	content := criLine(at(0), "stdout", true, "he") +
		criLine(at(1), "stderr", false, "oops") +
		criLine(at(2), "stdout", true, "ll") +
		criLine(at(3), "stderr", true, "warn") +
		criLine(at(4), "stdout", false, "o") +
		criLine(at(5), "stderr", false, "ing") +
		criLine(at(6), "stdout", true, "tail")
	got, malformed := scanAll(t, content)
	want := []string{"err:oops", "out:hello", "err:warning", "out:tail(unfinished)"}
	if strings.Join(got, "|") != strings.Join(want, "|") || malformed != 0 {
		t.Errorf("got %q (malformed %d), want %q", got, malformed, want)
	}
}

func TestScannerSkipsAndCountsMalformedLines(t *testing.T) {
	content := "garbage\n" + criLine(at(0), "stdout", false, "a") + "\n" +
		"2024-05-01T10:00:00Z stdout Q x\n" + criLine(at(1), "stdout", false, "b") +
		criLine(at(2), "stdout", false, "no newline")[:40]
	got, malformed := scanAll(t, content)
	want := []string{"out:a", "out:b", "out:no newline"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if malformed != 3 {
		t.Errorf("malformed = %d, want 3", malformed)
	}
}

func TestScannerHandlesRecordsLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 3*readBufferBytes)
	huge := strings.Repeat("y", maxRecordBytes+10)
	content := criLine(at(0), "stdout", false, long) + criLine(at(1), "stdout", false, huge) + criLine(at(2), "stdout", false, "after")
	got, malformed := scanAll(t, content)
	if len(got) != 2 || got[0] != "out:"+long || got[1] != "out:after" {
		t.Errorf("got %d lines (first %d bytes), want the long line and 'after'", len(got), len(got[0]))
	}
	if malformed != 1 {
		t.Errorf("malformed = %d, want 1 (the oversized record)", malformed)
	}
}

func TestScannerCapsJoinedLineLength(t *testing.T) {
	piece := strings.Repeat("z", 16<<10)
	var b strings.Builder
	records := maxLineBytes/len(piece) + 1
	for range records {
		b.WriteString(criLine(at(0), "stdout", true, piece))
	}
	b.WriteString(criLine(at(1), "stdout", false, "end"))
	got, _ := scanAll(t, b.String())
	if len(got) != 2 || len(got[0]) != len("out:")+maxLineBytes || got[1] != "out:"+piece+"end" {
		t.Errorf("got %d lines of sizes %v, want a %d-byte piece then the rest", len(got), lens(got), maxLineBytes)
	}
}

func lens(lines []string) []int {
	var n []int
	for _, l := range lines {
		n = append(n, len(l))
	}
	return n
}

// A record the runtime is still writing must wait for its newline, not be
// parsed half-written.
func TestLineReaderWaitsForUnterminatedRecord(t *testing.T) {
	_, path := logDir(t)
	record := criLine(at(0), "stdout", false, "complete me")
	writeFile(t, path, record[:20])
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := newLogScanner(f)
	if _, err := s.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("next on half a record = %v, want io.EOF", err)
	}
	appendFile(t, path, record[20:])
	line, err := s.next()
	if err != nil || string(line.message) != "complete me" {
		t.Fatalf("next after completion = %q, %v", line.message, err)
	}
	if s.malformed != 0 {
		t.Errorf("malformed = %d, want 0", s.malformed)
	}
}
