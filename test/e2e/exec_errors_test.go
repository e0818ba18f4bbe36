//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestExecErrorsAreTheKubelets checks what each client says for a
// container that is not running, one the pod does not have, and a pod
// that has completed: the words of kubectl against a real cluster.
func TestExecErrorsAreTheKubelets(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("errs")
	agent.WriteManifest(name+".yaml", `apiVersion: v1
kind: Pod
metadata:
  name: `+name+`
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  containers:
  - name: kubia
    image: `+agent.Env.KubiaImage+`
  - name: done
    image: `+agent.Env.KubiaImage+`
    args: ["sleep", "0"]
`)
	agent.WaitPod(name, 60*time.Second, "kubia running and done exited", func(p *v1.Pod) bool {
		running, exited := false, false
		for _, c := range p.Status.ContainerStatuses {
			running = running || (c.Name == "kubia" && c.State.Running != nil)
			exited = exited || (c.Name == "done" && c.State.Terminated != nil)
		}
		return running && exited
	})
	completed := framework.UniqueName("completed")
	agent.WriteManifest(completed+".yaml", `apiVersion: v1
kind: Pod
metadata:
  name: `+completed+`
spec:
  restartPolicy: Never
  containers:
  - name: once
    image: `+agent.Env.KubiaImage+`
    args: ["sleep", "0"]
`)
	agent.WaitPod(completed, 60*time.Second, "Succeeded", func(p *v1.Pod) bool { return p.Status.Phase == v1.PodSucceeded })

	cases := []struct {
		what string
		args []string
		want string
	}{
		{"a container that has exited", []string{name, "-c", "done", "--", "/kubia", "id"}, `unable to upgrade connection: container not found ("done")`},
		{"a container the pod does not have", []string{name, "-c", "nope", "--", "/kubia", "id"}, "container nope is not valid for pod " + name + " out of: kubia, done"},
		{"a completed pod", []string{completed, "--", "/kubia", "id"}, "cannot exec into a container in a completed pod; current phase is Succeeded"},
	}
	for client, c := range streamClients(t, agent) {
		for _, tc := range cases {
			out, errOut, err := c.verb("", "exec", tc.args...)
			if err == nil || !strings.Contains(errOut, tc.want) {
				t.Errorf("%s exec into %s: %v; want %q\nstdout: %s\nstderr: %s", client, tc.what, err, tc.want, out, errOut)
			}
		}
	}

	// The server's own answers, which kubectl's checks above come before.
	for path, want := range map[string]string{
		"/api/v1/namespaces/default/pods/" + name + "/exec?container=nope&command=id&stdout=true": "container nope is not valid for pod " + name,
		"/api/v1/namespaces/default/pods/" + name + "/exec?command=id&stdout=true":                "a container name must be specified for pod " + name + ", choose one of: [kubia done]",
		"/api/v1/namespaces/default/pods/" + name + "/exec?container=kubia&stdout=true":           "you must specify at least 1 command",
		"/exec/default/" + name + "/done?command=id&output=1":                                     `container not found ("done")`,
		"/exec/default/gone/kubia?command=id&output=1":                                            "pod does not exist",
	} {
		code, body := spdyUpgrade(t, agent, path)
		if code < 400 || !strings.Contains(body, want) {
			t.Errorf("POST %s: %d %s; want an error saying %q", path, code, body, want)
		}
	}
}

// spdyUpgrade asks for a SPDY exec session and returns a refusal's code
// and body.
func spdyUpgrade(t *testing.T, agent *framework.Agent, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(framework.Context(t, 30*time.Second), http.MethodPost, agent.URL(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Set("X-Stream-Protocol-Version", "v4.channel.k8s.io")
	resp, err := agent.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, string(body)
}
