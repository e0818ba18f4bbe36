package logs

import (
	"errors"
	"testing"
	"time"
)

func TestParseRecord(t *testing.T) {
	ts := time.Date(2016, 10, 6, 0, 17, 9, 669794202, time.UTC)
	tests := []struct {
		name    string
		line    string
		want    record
		wantErr bool
	}{
		{"full stdout", "2016-10-06T00:17:09.669794202Z stdout F hello world", record{ts, stdout, false, []byte("hello world")}, false},
		{"partial stderr", "2016-10-06T00:17:09.669794202Z stderr P part", record{ts, stderr, true, []byte("part")}, false},
		{"empty message", "2016-10-06T00:17:09.669794202Z stdout F ", record{ts, stdout, false, []byte("")}, false},
		{"empty message without space", "2016-10-06T00:17:09.669794202Z stdout F", record{ts, stdout, false, nil}, false},
		{"extra tags ignored", "2016-10-06T00:17:09.669794202Z stdout F:x:y msg", record{ts, stdout, false, []byte("msg")}, false},
		{"message keeps spaces", "2016-10-06T00:17:09.669794202Z stdout F  a  b ", record{ts, stdout, false, []byte(" a  b ")}, false},
		{"zone offset", "2016-10-06T02:17:09.669794202+02:00 stdout F x", record{ts, stdout, false, []byte("x")}, false},
		{"bad timestamp", "yesterday stdout F x", record{}, true},
		{"bad stream", "2016-10-06T00:17:09.669794202Z stdin F x", record{}, true},
		{"bad tag", "2016-10-06T00:17:09.669794202Z stdout X x", record{}, true},
		{"only timestamp", "2016-10-06T00:17:09.669794202Z", record{}, true},
		{"no tag", "2016-10-06T00:17:09.669794202Z stdout", record{}, true},
		{"plain text", "hello", record{}, true},
		{"empty", "", record{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRecord([]byte(tt.line))
			if tt.wantErr {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("parseRecord(%q) error = %v, want errMalformed", tt.line, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseRecord(%q): %v", tt.line, err)
			}
			if !got.timestamp.Equal(tt.want.timestamp) || got.stream != tt.want.stream || got.partial != tt.want.partial || string(got.message) != string(tt.want.message) {
				t.Errorf("parseRecord(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseStream(t *testing.T) {
	for in, want := range map[string]Stream{"": StreamAll, "All": StreamAll, "stdout": StreamStdout, "Stderr": StreamStderr} {
		got, err := ParseStream(in)
		if err != nil || got != want {
			t.Errorf("ParseStream(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseStream("stdin"); err == nil {
		t.Error("ParseStream(stdin) succeeded, want error")
	}
}
