package apiclient

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deleteAsync runs Delete in the background and returns its stdout, to
// read once it is done, and a channel that receives its result.
func deleteAsync(conn Connection, opts DeleteOptions) (*bytes.Buffer, <-chan error) {
	out := &bytes.Buffer{}
	opts.Stdout = out
	done := make(chan error, 1)
	go func() { done <- Delete(context.Background(), conn, opts) }()
	return out, done
}

func TestDeleteWaitsUntilThePodIsGone(t *testing.T) {
	agent, conn := startNodeAPI(t)
	manifest := agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	agent.setStatus("web", running("10.88.0.5", 0))
	agent.stopSlowly("web")

	out, done := deleteAsync(conn, DeleteOptions{Resource: "pod", Names: []string{"web"}, Wait: true, Timeout: time.Minute})
	select {
	case err := <-done:
		t.Fatalf("delete returned (%v) while the pod was still stopping; printed %q", err, out.String())
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := os.Stat(manifest); !os.IsNotExist(err) {
		t.Errorf("the pod's manifest is still there: %v", err)
	}
	agent.finishStopping("web")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("delete did not return within 5s of the pod going")
	}
	if got := out.String(); got != "pod \"web\" deleted from default namespace\n" {
		t.Errorf("delete printed %q", got)
	}
}

func TestDeleteWaitEndsAtTheTimeoutWithAClearError(t *testing.T) {
	agent, conn := startNodeAPI(t)
	agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	agent.stopSlowly("web")
	start := time.Now()
	_, done := deleteAsync(conn, DeleteOptions{Resource: "pods", Names: []string{"web"}, Wait: true, Timeout: 200 * time.Millisecond})
	err := <-done
	want := "waiting for pod default/web to go: still there after --timeout 200ms: context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Errorf("delete of a pod that does not go = %v; want %q", err, want)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the 200ms timeout took %s", took)
	}
}

func TestDeleteWithoutWaitReturnsAtOnce(t *testing.T) {
	agent, conn := startNodeAPI(t)
	agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	agent.stopSlowly("web")
	out, done := deleteAsync(conn, DeleteOptions{Resource: "po", Names: []string{"web"}, Timeout: time.Minute})
	select {
	case err := <-done:
		if err != nil || out.String() != "pod \"web\" deleted from default namespace\n" {
			t.Errorf("delete --wait=false = %v, printed %q", err, out.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("delete --wait=false waited for the pod")
	}
}

func TestDeleteTheFilesPodsInTheirNamespaces(t *testing.T) {
	agent, conn := startNodeAPI(t)
	agent.writeManifest(t, "a.yaml", podManifest("a", "default"))
	agent.writeManifest(t, "b.yaml", podManifest("b", "shop"))
	stdin := strings.NewReader(podManifest("a", "default") + "---\n" + podManifest("b", "shop"))
	out, done := deleteAsync(conn, DeleteOptions{Files: []string{"-"}, Stdin: stdin, Wait: true, Timeout: time.Minute})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "pod \"a\" deleted from default namespace\npod \"b\" deleted from shop namespace\n"
	if out.String() != want {
		t.Errorf("delete -f - printed %q, want %q", out.String(), want)
	}
	if left, _ := filepath.Glob(filepath.Join(agent.manifests, "*")); len(left) != 0 {
		t.Errorf("manifests left: %v", left)
	}
}

func TestDeleteSurfacesTheServersStatus(t *testing.T) {
	_, conn := startNodeAPI(t)
	_, done := deleteAsync(conn, DeleteOptions{Resource: "pod", Names: []string{"nope"}, Wait: true, Timeout: time.Minute})
	if err := <-done; err == nil || err.Error() != `pods "nope" not found` {
		t.Errorf("delete of a missing pod = %v", err)
	}
}

func TestDeleteRejectsArgumentsWithoutMeaning(t *testing.T) {
	tests := []struct {
		opts DeleteOptions
		want string
	}{
		{DeleteOptions{}, "give pod NAME... or -f FILE"},
		{DeleteOptions{Resource: "pod"}, "give pod NAME... or -f FILE"},
		{DeleteOptions{Resource: "pod", Names: []string{"web"}, Files: []string{"web.yaml"}}, "give pod names or -f FILE, not both"},
		{DeleteOptions{Resource: "deployment", Names: []string{"web"}}, `resource type "deployment" is not served by the node API: use pods`},
	}
	for _, tt := range tests {
		if err := tt.opts.check(); err == nil || err.Error() != tt.want {
			t.Errorf("%+v: %v; want %s", tt.opts, err, tt.want)
		}
	}
}
