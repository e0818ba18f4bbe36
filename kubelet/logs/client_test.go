package logs

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFetch(t *testing.T) {
	f := newHandlerFixture(t)
	var out bytes.Buffer
	err := Fetch(t.Context(), f.server.URL, FetchOptions{Pod: "web", Container: "app", Options: Options{Tail: true, TailLines: 2}}, &out)
	if err != nil || out.String() != "app1\napp2\n" {
		t.Errorf("Fetch = %q, %v", out.String(), err)
	}
	out.Reset()
	err = Fetch(t.Context(), f.server.URL+"/", FetchOptions{Namespace: "default", Pod: "web", AllContainers: true}, &out)
	if err != nil || out.String() != "app0\napp1\napp2\nside0\nside1\n" {
		t.Errorf("Fetch all containers = %q, %v", out.String(), err)
	}
}

func TestFetchReturnsServerMessage(t *testing.T) {
	f := newHandlerFixture(t)
	err := Fetch(t.Context(), f.server.URL, FetchOptions{Pod: "web"}, &bytes.Buffer{})
	var serverErr *ServerError
	if !errors.As(err, &serverErr) || serverErr.StatusCode != http.StatusBadRequest ||
		err.Error() != "a container name must be specified for pod web, choose one of: [app sidecar]" {
		t.Errorf("Fetch without container = %v", err)
	}
}

func TestFetchExplainsUnreachableServer(t *testing.T) {
	err := Fetch(t.Context(), "http://127.0.0.1:1", FetchOptions{Pod: "web"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach minikubelet at http://127.0.0.1:1") || !strings.Contains(err.Error(), "--server") {
		t.Errorf("error = %v", err)
	}
}

func TestLogsURL(t *testing.T) {
	tests := []struct {
		opts    FetchOptions
		want    string
		wantErr string
	}{
		{FetchOptions{Pod: "p"}, "http://h:1/containerLogs/default/p", ""},
		{FetchOptions{Namespace: "kube-system", Pod: "p", Container: "c", Options: Options{Follow: true, Tail: true, TailLines: 0, Since: 90*time.Second + time.Millisecond, Timestamps: true, Previous: true, LimitBytes: 10, Stream: StreamStderr}},
			"http://h:1/containerLogs/kube-system/p/c?follow=true&limitBytes=10&previous=true&sinceSeconds=91&stream=stderr&tailLines=0&timestamps=true", ""},
		{FetchOptions{Pod: "p", AllContainers: true, Prefix: true}, "http://h:1/containerLogs/default/p?allContainers=true&prefix=true", ""},
		{FetchOptions{}, "", "a pod name is required"},
		{FetchOptions{Pod: "p", Container: "c", AllContainers: true}, "", "give only one"},
		{FetchOptions{Pod: "p", Options: Options{Since: time.Second, SinceTime: at(0)}}, "", "give only one"},
	}
	for _, tt := range tests {
		got, err := logsURL("http://h:1", tt.opts)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("logsURL(%+v) error = %v, want %q", tt.opts, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("logsURL(%+v) = %q, %v; want %q", tt.opts, got, err, tt.want)
		}
	}
	if _, err := logsURL("127.0.0.1:10350", FetchOptions{Pod: "p"}); err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:10350") {
		t.Errorf("relative server URL error = %v", err)
	}
}

// Options survive the trip through query parameters.
func TestOptionsQueryRoundTrip(t *testing.T) {
	in := Options{Follow: true, Tail: true, TailLines: 7, SinceTime: at(3), Timestamps: true, LimitBytes: 99, Stream: StreamStdout, Previous: true}
	out, err := OptionsFromQuery(in.Query())
	if err != nil || out != in {
		t.Errorf("round trip = %+v, %v; want %+v", out, err, in)
	}
}
