package streamproxy

import (
	"net/url"
	"testing"
)

func TestResolveURL(t *testing.T) {
	base := &url.URL{Scheme: "http", Host: "127.0.0.1"}
	tests := map[string]string{
		"http://127.0.0.1:3456/portforward/tok": "http://127.0.0.1:3456/portforward/tok",
		"http://:3456/portforward/tok":          "http://127.0.0.1:3456/portforward/tok",
		"http://0.0.0.0:3456/exec/tok":          "http://127.0.0.1:3456/exec/tok",
		"http://[::]:3456/attach/tok":           "http://127.0.0.1:3456/attach/tok",
		"/portforward/tok":                      "http://127.0.0.1/portforward/tok",
		"127.0.0.1:3456/exec/tok":               "http://127.0.0.1:3456/exec/tok",
		"https://node:10250/exec/tok":           "https://node:10250/exec/tok",
	}
	for raw, want := range tests {
		got, err := ResolveURL(raw, base)
		if err != nil || got.String() != want {
			t.Errorf("ResolveURL(%q) = %v, %v; want %s", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x/y"} {
		if _, err := ResolveURL(bad, base); err == nil {
			t.Errorf("ResolveURL(%q) succeeded", bad)
		}
	}
}
