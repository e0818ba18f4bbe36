package streaming

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		query string
		want  Options
		err   string
	}{
		{"kubectl's names", KindExec, "command=ls&command=-l&stdin=true&stdout=true&stderr=true&container=app",
			Options{Streams: Streams{Stdin: true, Stdout: true, Stderr: true}, Container: "app", Command: []string{"ls", "-l"}}, ""},
		{"the kubelet's names", KindExec, "command=id&input=1&output=1&error=1",
			Options{Streams: Streams{Stdin: true, Stdout: true, Stderr: true}, Command: []string{"id"}}, ""},
		{"a terminal drops stderr", KindExec, "command=sh&stdin=true&stdout=true&stderr=true&tty=true",
			Options{Streams: Streams{Stdin: true, Stdout: true, TTY: true}, Command: []string{"sh"}}, ""},
		{"attach", KindAttach, "stdout=1", Options{Streams: Streams{Stdout: true}}, ""},
		{"no stream", KindExec, "command=id", Options{}, "at least 1 of stdin, stdout, stderr"},
		{"no command", KindExec, "stdout=true", Options{}, "at least 1 command"},
		{"an empty command", KindExec, "stdout=true&command=", Options{}, "at least 1 command"},
		{"attach with a command", KindAttach, "stdout=true&command=id", Options{}, "attach takes no command"},
		{"a bad boolean", KindExec, "stdout=maybe&command=id", Options{}, `stdout="maybe"`},
		{"too many arguments", KindExec, "stdout=1" + strings.Repeat("&command=x", maxCommandArgs+1), Options{}, "at most 4096"},
		{"too long", KindExec, "stdout=1&command=" + strings.Repeat("x", maxCommandBytes+1), Options{}, "at most 256 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseOptions(tt.kind, query)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseOptions = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
