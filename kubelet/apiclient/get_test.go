package apiclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// threePods puts web (running, restarted twice) and db (not started) in
// default and proxy (running) in kube-system.
func threePods(t *testing.T, agent *standInAgent) {
	t.Helper()
	agent.writeManifest(t, "web.yaml", podManifest("web", "default"))
	agent.writeManifest(t, "db.yaml", podManifest("db", "default"))
	agent.writeManifest(t, "proxy.yaml", podManifest("proxy", "kube-system"))
	web := running("10.88.0.5", 2)
	web.StartTime = &metav1.Time{Time: agentClock.Add(-90 * time.Minute)}
	web.ContainerStatuses[0].LastTerminationState.Terminated = &v1.ContainerStateTerminated{
		ExitCode: 1, Reason: "Error", FinishedAt: metav1.Time{Time: agentClock.Add(-61 * time.Minute)},
	}
	agent.setStatus("web", web)
	agent.setStatus("proxy", running("10.88.0.9", 0))
}

// get runs Get and returns what it printed.
func get(t *testing.T, conn Connection, opts GetOptions) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.Stdout, opts.Stderr = &out, &errOut
	if opts.Resource == "" {
		opts.Resource = "pods"
	}
	err = Get(context.Background(), conn, opts)
	return out.String(), errOut.String(), err
}

func TestGetPrintsTablesAsKubectlDoes(t *testing.T) {
	agent, conn := startNodeAPI(t)
	threePods(t, agent)
	tests := []struct {
		name string
		// namespace is -n; "" is the kubeconfig's, here default.
		namespace string
		opts      GetOptions
		want      string
	}{
		{"the namespace's pods", "", GetOptions{},
			"NAME   READY   STATUS    RESTARTS      AGE\n" +
				"db     0/1               0             0s\n" +
				"web    1/1     Running   2 (61m ago)   90m\n"},
		{"wide adds the priority columns", "", GetOptions{Output: "wide"},
			"NAME   READY   STATUS    RESTARTS      AGE   IP          NODE     NOMINATED NODE   READINESS GATES\n" +
				"db     0/1               0             0s    <none>      node-1   <none>           <none>\n" +
				"web    1/1     Running   2 (61m ago)   90m   10.88.0.5   node-1   <none>           <none>\n"},
		{"-A adds the namespace from each row's metadata", "", GetOptions{AllNamespaces: true},
			"NAMESPACE     NAME    READY   STATUS    RESTARTS      AGE\n" +
				"default       db      0/1               0             0s\n" +
				"default       web     1/1     Running   2 (61m ago)   90m\n" +
				"kube-system   proxy   1/1     Running   0             0s\n"},
		{"-l selects by label", "", GetOptions{Selector: "app=web"},
			"NAME   READY   STATUS    RESTARTS      AGE\n" +
				"web    1/1     Running   2 (61m ago)   90m\n"},
		{"-A -l", "", GetOptions{AllNamespaces: true, Selector: "app in (proxy,db)"},
			"NAMESPACE     NAME    READY   STATUS    RESTARTS   AGE\n" +
				"default       db      0/1               0          0s\n" +
				"kube-system   proxy   1/1     Running   0          0s\n"},
		{"one name", "", GetOptions{Names: []string{"web"}},
			"NAME   READY   STATUS    RESTARTS      AGE\n" +
				"web    1/1     Running   2 (61m ago)   90m\n"},
		{"several names", "", GetOptions{Names: []string{"web", "db", "proxy"}},
			"NAME   READY   STATUS    RESTARTS      AGE\n" +
				"db     0/1               0             0s\n" +
				"web    1/1     Running   2 (61m ago)   90m\n"},
		{"-o name", "", GetOptions{Output: "name", AllNamespaces: true}, "pod/db\npod/web\npod/proxy\n"},
		{"-n, and pods' short name", "kube-system", GetOptions{Resource: "po"},
			"NAME    READY   STATUS    RESTARTS   AGE\n" +
				"proxy   1/1     Running   0          0s\n"},
	}
	for _, tt := range tests {
		conn := conn
		conn.Namespace = tt.namespace
		stdout, stderr, err := get(t, conn, tt.opts)
		if err != nil || stdout != tt.want || stderr != "" {
			t.Errorf("%s: stdout\n%s\nstderr %q, err %v; want\n%s", tt.name, stdout, stderr, err, tt.want)
		}
	}
}

func TestGetSaysWhenNothingMatches(t *testing.T) {
	agent, conn := startNodeAPI(t)
	threePods(t, agent)
	conn.Namespace = "empty"
	stdout, stderr, err := get(t, conn, GetOptions{})
	if err != nil || stdout != "" || stderr != "No resources found in empty namespace.\n" {
		t.Errorf("empty namespace: %q %q %v", stdout, stderr, err)
	}
	stdout, stderr, err = get(t, conn, GetOptions{AllNamespaces: true, Selector: "app=none"})
	if err != nil || stdout != "" || stderr != "No resources found\n" {
		t.Errorf("-A with no match: %q %q %v", stdout, stderr, err)
	}
}

func TestGetPrintsObjectsAsYAMLAndJSON(t *testing.T) {
	agent, conn := startNodeAPI(t)
	threePods(t, agent)

	stdout, _, err := get(t, conn, GetOptions{Names: []string{"web"}, Output: "yaml"})
	var pod v1.Pod
	if err == nil {
		err = yaml.UnmarshalStrict([]byte(stdout), &pod)
	}
	if err != nil || pod.Name != "web" || pod.Status.PodIP != "10.88.0.5" || pod.Kind != "Pod" {
		t.Errorf("-o yaml of one pod: %v\n%s", err, stdout)
	}

	stdout, _, err = get(t, conn, GetOptions{Output: "json", AllNamespaces: true})
	var list struct {
		Kind  string
		Items []v1.Pod
	}
	if err == nil {
		err = json.Unmarshal([]byte(stdout), &list)
	}
	if err != nil || list.Kind != "List" || len(list.Items) != 3 || list.Items[2].Namespace != "kube-system" {
		t.Errorf("-o json -A: %v\n%s", err, stdout)
	}
	if !strings.HasPrefix(stdout, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [") {
		t.Errorf("-o json is not indented by four spaces, as kubectl's:\n%.80s", stdout)
	}

	stdout, _, err = get(t, conn, GetOptions{Names: []string{"web", "db"}, Output: "yaml"})
	if err != nil || !strings.HasPrefix(stdout, "apiVersion: v1\nitems:\n") || !strings.HasSuffix(stdout, "kind: List\nmetadata:\n  resourceVersion: \"\"\n") {
		t.Errorf("-o yaml of two pods is not a List: %v\n%s", err, stdout)
	}
}

func TestGetOfAMissingPodSaysNotFound(t *testing.T) {
	agent, conn := startNodeAPI(t)
	threePods(t, agent)
	for _, output := range []string{"", "wide", "yaml", "json", "name"} {
		_, _, err := get(t, conn, GetOptions{Names: []string{"nope"}, Output: output})
		if err == nil || err.Error() != `pods "nope" not found` {
			t.Errorf("-o %q of a missing pod: %v; want kubectl's `pods \"nope\" not found`", output, err)
		}
	}
}

func TestGetRejectsOptionsWithoutMeaning(t *testing.T) {
	conn := Connection{Kubeconfig: "/nonexistent/kubeconfig", Getenv: func(string) string { return "" }}
	tests := []struct {
		opts GetOptions
		want string
	}{
		{GetOptions{Resource: "services"}, `resource type "services" is not served by the node API to get: use pods or events`},
		{GetOptions{Output: "table"}, `--output "table": use wide, yaml, json or name`},
		{GetOptions{Names: []string{"web"}, AllNamespaces: true}, "a pod name cannot be combined with --all-namespaces: give -n NAMESPACE instead"},
	}
	for _, tt := range tests {
		if _, _, err := get(t, conn, tt.opts); err == nil || err.Error() != tt.want {
			t.Errorf("%+v: %v; want %s", tt.opts, err, tt.want)
		}
	}
}

// lineReader reads what a running command prints, line by line.
func lineReader(t *testing.T) (io.Writer, func() string) {
	out, in := io.Pipe()
	t.Cleanup(func() { out.Close() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(out)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
	}()
	return in, func() string {
		t.Helper()
		select {
		case line := <-lines:
			return line
		case <-time.After(5 * time.Second):
			t.Fatal("no line printed within 5s")
			return ""
		}
	}
}

func TestGetWatchPrintsARowForEachChange(t *testing.T) {
	agent, conn := startNodeAPI(t)
	threePods(t, agent)
	stdout, next := lineReader(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // before the server closes: it waits for the watch
	done := make(chan error, 1)
	go func() {
		done <- Get(ctx, conn, GetOptions{Resource: "pods", Watch: true, Selector: "app=db", Stdout: stdout, Stderr: io.Discard})
	}()
	for _, want := range []string{
		"NAME   READY   STATUS   RESTARTS   AGE",
		"db     0/1              0          0s",
	} {
		if got := next(); got != want {
			t.Fatalf("listed %q, want %q", got, want)
		}
	}
	// Each change is awaited before the next: the API, like the API server,
	// sends only the latest state of changes a watcher has not yet read.
	// Each row is aligned on its own, as before.
	agent.setStatus("db", running("10.88.0.7", 0))
	if got, want := next(), "db    1/1   Running   0     0s"; got != want {
		t.Errorf("after a change printed %q, want %q", got, want)
	}
	agent.setStatus("web", running("10.88.0.5", 3)) // not selected: no row
	agent.setStatus("db", v1.PodStatus{Phase: v1.PodFailed, Reason: "Evicted"})
	if got, want := next(), "db    0/1   Evicted   0     0s"; got != want {
		t.Errorf("after a change printed %q, want %q", got, want)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("get -w after Ctrl-C = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("get -w did not stop within 5s of its context")
	}
}
