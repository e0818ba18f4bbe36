package logs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"
)

// rotatedLayout writes a log rotated twice: the oldest part compressed, the
// newer one plain, and the live file: lines 0-29, 30-59, 60-89.
func rotatedLayout(t *testing.T) string {
	t.Helper()
	_, path := logDir(t)
	writeGzip(t, rotatedPath(path, at(30))+compressedSuffix, fullLines("line", 0, 30))
	writeFile(t, rotatedPath(path, at(60)), fullLines("line", 30, 60))
	writeFile(t, path, fullLines("line", 60, 90))
	return path
}

func TestReadWholeLogAcrossRotatedAndCompressedFiles(t *testing.T) {
	path := rotatedLayout(t)
	got, stats := readAll(t, path, Options{})
	if want := numbered("line", 0, 90); got != want {
		t.Errorf("output =\n%s\nwant lines 0-89", got)
	}
	if stats.Lines != 90 || stats.Bytes != int64(len(got)) || stats.Truncated {
		t.Errorf("stats = %+v", stats)
	}
}

func TestReadTail(t *testing.T) {
	path := rotatedLayout(t)
	tests := []struct {
		tail int64
		want string
	}{
		{0, ""},
		{1, numbered("line", 89, 90)},
		{30, numbered("line", 60, 90)},
		{31, numbered("line", 59, 90)},
		{75, numbered("line", 15, 90)},
		{500, numbered("line", 0, 90)},
	}
	for _, tt := range tests {
		got, _ := readAll(t, path, Options{Tail: true, TailLines: tt.tail})
		if got != tt.want {
			t.Errorf("tail %d = %q, want %q", tt.tail, got, tt.want)
		}
	}
}

// A line split by a rotation (partial records at the end of the rotated
// file, the full one in the next) comes out whole, with or without tail.
func TestReadJoinsLineSplitByRotation(t *testing.T) {
	_, path := logDir(t)
	writeGzip(t, rotatedPath(path, at(10))+compressedSuffix, fullLines("line", 0, 3)+criLine(at(3), "stderr", true, "err-sta"))
	writeFile(t, rotatedPath(path, at(20)), fullLines("line", 4, 6)+criLine(at(6), "stdout", true, "split-"))
	writeFile(t, path, criLine(at(7), "stdout", true, "across-")+criLine(at(8), "stderr", false, "rt")+
		criLine(at(9), "stdout", false, "rotation")+fullLines("line", 10, 12))
	want := numbered("line", 0, 3) + numbered("line", 4, 6) + "err-start\nsplit-across-rotation\n" + numbered("line", 10, 12)
	if got, _ := readAll(t, path, Options{}); got != want {
		t.Errorf("whole log =\n%s\nwant\n%s", got, want)
	}
	if got, _ := readAll(t, path, Options{Tail: true, TailLines: 4}); got != "err-start\nsplit-across-rotation\nline10\nline11\n" {
		t.Errorf("tail 4 =\n%s", got)
	}
	if got, _ := readAll(t, path, Options{Tail: true, TailLines: 3, Stream: StreamStdout}); got != "split-across-rotation\nline10\nline11\n" {
		t.Errorf("tail 3 of stdout =\n%s", got)
	}
}

func TestReadSince(t *testing.T) {
	path := rotatedLayout(t)
	got, _ := readAll(t, path, Options{SinceTime: at(55)})
	if want := numbered("line", 55, 90); got != want {
		t.Errorf("since line 55 = %q", got)
	}
	got, _ = readAll(t, path, Options{SinceTime: at(55), Tail: true, TailLines: 40})
	if want := numbered("line", 55, 90); got != want {
		t.Errorf("since line 55 with tail 40 = %q", got)
	}
	got, _ = readAll(t, path, Options{Since: time.Hour})
	if got != "" {
		t.Errorf("since 1h of 2024 lines = %q, want nothing", got)
	}
}

func TestReadStreamSelectionAndTimestamps(t *testing.T) {
	_, path := logDir(t)
	writeFile(t, path, criLine(at(0), "stdout", false, "out1")+criLine(at(1), "stderr", false, "err1")+criLine(at(2), "stdout", false, "out2"))
	cases := map[Stream]string{StreamStdout: "out1\nout2\n", StreamStderr: "err1\n", StreamAll: "out1\nerr1\nout2\n", "": "out1\nerr1\nout2\n"}
	for stream, want := range cases {
		if got, _ := readAll(t, path, Options{Stream: stream}); got != want {
			t.Errorf("stream %q = %q, want %q", stream, got, want)
		}
	}
	got, _ := readAll(t, path, Options{Timestamps: true, Tail: true, TailLines: 1})
	if want := "2024-05-01T10:00:02Z out2\n"; got != want {
		t.Errorf("timestamps = %q, want %q", got, want)
	}
}

func TestReadLimitBytes(t *testing.T) {
	path := rotatedLayout(t)
	got, stats := readAll(t, path, Options{LimitBytes: 20})
	if got != "line0\nline1\nline2\nli" || !stats.Truncated || stats.Bytes != 20 {
		t.Errorf("limit 20 = %q, stats %+v", got, stats)
	}
	got, stats = readAll(t, path, Options{LimitBytes: 1 << 20})
	if got != numbered("line", 0, 90) || stats.Truncated {
		t.Errorf("large limit truncated: stats %+v", stats)
	}
}

func TestReadCountsMalformedLines(t *testing.T) {
	_, path := logDir(t)
	writeGzip(t, rotatedPath(path, at(1))+compressedSuffix, "junk\n"+fullLines("l", 0, 1))
	writeFile(t, path, "not a log line\n"+fullLines("l", 1, 2)+"\x00\x01\n")
	got, stats := readAll(t, path, Options{})
	if got != "l0\nl1\n" || stats.Malformed != 3 {
		t.Errorf("output %q malformed %d, want l0 l1 and 3", got, stats.Malformed)
	}
	_, stats = readAll(t, path, Options{Tail: true, TailLines: 5})
	if stats.Malformed != 3 {
		t.Errorf("tail malformed = %d, want 3", stats.Malformed)
	}
}

func TestReadUnfinishedLastLineOfSnapshot(t *testing.T) {
	_, path := logDir(t)
	writeFile(t, path, fullLines("l", 0, 2)+criLine(at(2), "stdout", true, "still writing"))
	if got, _ := readAll(t, path, Options{}); got != "l0\nl1\nstill writing\n" {
		t.Errorf("whole = %q", got)
	}
	if got, _ := readAll(t, path, Options{Tail: true, TailLines: 1}); got != "still writing\n" {
		t.Errorf("tail 1 = %q", got)
	}
}

func TestReadMissingLog(t *testing.T) {
	_, path := logDir(t)
	_, err := ReadLogs(t.Context(), Request{Path: path}, &bytes.Buffer{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("error = %v, want not-exist naming %s", err, path)
	}
	// Only rotated files left (the runtime has not reopened yet): still readable.
	writeFile(t, rotatedPath(path, at(5)), fullLines("r", 0, 2))
	if got, _ := readAll(t, path, Options{}); got != "r0\nr1\n" {
		t.Errorf("rotated only = %q", got)
	}
}

func TestReadRejectsInvalidOptions(t *testing.T) {
	_, path := logDir(t)
	writeFile(t, path, "")
	bad := []Options{
		{Tail: true, TailLines: -1},
		{Since: time.Minute, SinceTime: at(0)},
		{LimitBytes: -5},
		{Stream: "stdin"},
	}
	for _, opts := range bad {
		if _, err := ReadLogs(t.Context(), Request{Path: path, Options: opts}, &bytes.Buffer{}); err == nil {
			t.Errorf("options %+v accepted", opts)
		}
	}
}

// While the rotator compresses a file both forms exist; each line must
// still be read once.
func TestReadDuringCompressionReadsEachLineOnce(t *testing.T) {
	_, path := logDir(t)
	stem := rotatedPath(path, at(10))
	writeFile(t, stem, fullLines("l", 0, 3))
	writeGzip(t, stem+compressedSuffix, fullLines("l", 0, 3))
	writeFile(t, stem+compressedSuffix+tmpSuffix, "half written")
	writeFile(t, path, fullLines("l", 3, 4))
	if got, _ := readAll(t, path, Options{}); got != numbered("l", 0, 4) {
		t.Errorf("got %q", got)
	}
}

func TestListRotatedOrdersByTimeAndAcceptsKubeletNames(t *testing.T) {
	dir, path := logDir(t)
	names := []string{
		"0.log.20240501-100002.000000.gz",
		"0.log.20240501-100001",
		"0.log.20240501-100003.000000",
		"0.log.bogus",
		"1.log.20240501-100000.000000",
		"0.log",
	}
	for _, n := range names {
		writeFile(t, dir+"/"+n, "")
	}
	files, err := listRotated(openDirOf(t, path), "0.log")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.path())
	}
	want := "0.log.20240501-100001 0.log.20240501-100002.000000.gz 0.log.20240501-100003.000000"
	if strings.Join(got, " ") != want {
		t.Errorf("listRotated = %v, want %s", got, want)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
