package apiclient

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

func TestVersionPrintsClientThenServer(t *testing.T) {
	_, conn := startNodeAPI(t)
	var out bytes.Buffer
	if err := Version(context.Background(), conn, VersionOptions{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^Client Version: v1\.\d+\.\d+\+minikubelet\.devel\nServer Version: v1\.\d+\.\d+\+minikubelet\.test\n$`)
	if !want.MatchString(out.String()) {
		t.Errorf("version printed:\n%s", out.String())
	}
}

func TestVersionClientOnlyNeedsNoServer(t *testing.T) {
	var out bytes.Buffer
	conn := Connection{Kubeconfig: "/nonexistent/kubeconfig", Getenv: func(string) string { return "" }}
	if err := Version(context.Background(), conn, VersionOptions{ClientOnly: true, Stdout: &out}); err != nil || out.String() != "Client Version: "+ClientVersion()+"\n" {
		t.Errorf("version --client = %q, %v", out.String(), err)
	}
	out.Reset()
	err := Version(context.Background(), conn, VersionOptions{Stdout: &out})
	if err == nil || out.String() != "Client Version: "+ClientVersion()+"\n" {
		t.Errorf("version without a server = %q, %v; want the client's version, then the error", out.String(), err)
	}
}
