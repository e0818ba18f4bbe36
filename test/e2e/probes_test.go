//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Probes against the real agent on real containerd. Periods are 1 s so the
// tests take seconds; the kubia switch files (/tmp/unhealthy, /tmp/unready)
// are flipped with crictl exec, as a user would.

func TestLivenessProbeFailureRestartsContainerWithUnhealthyEvent(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("live")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      periodSeconds: 1
      failureThreshold: 2
`, ""))
	pod := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	first := probeStatus(t, pod, "kubia")
	if first.RestartCount != 0 {
		t.Fatalf("restart count %d before the probe failed", first.RestartCount)
	}
	// Healthy for a while: the passing probe must not restart anything.
	time.Sleep(3 * time.Second)
	if cs := probeStatus(t, agent.Pod(name), "kubia"); cs.RestartCount != 0 || cs.ContainerID != first.ContainerID {
		t.Fatalf("a passing liveness probe restarted the container: %+v", cs)
	}

	framework.Crictl(t, "exec", probeRuntimeID(first), "/kubia", "write", "/tmp/unhealthy", "x")
	pod = agent.WaitPod(name, 30*time.Second, "restarted once by the liveness probe", func(p *v1.Pod) bool {
		cs := probeStatus(t, p, "kubia")
		return cs.RestartCount == 1 && cs.State.Running != nil && cs.ContainerID != first.ContainerID
	})
	events := probePodEvents(t, agent, name)
	if !probeHasEvent(events, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500") {
		t.Fatalf("no Unhealthy event for the failed liveness probe; events:\n%s", probeEventList(events))
	}
	// The new instance has no switch file: it stays up.
	time.Sleep(4 * time.Second)
	if cs := probeStatus(t, agent.Pod(name), "kubia"); cs.RestartCount != 1 {
		t.Fatalf("the restarted, healthy container was restarted again: %+v", cs)
	}
}

func TestReadinessProbeFlipsReadyBothWays(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("ready")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
`, ""))
	pod := agent.WaitPod(name, 60*time.Second, "Ready", probePodReady(true))
	id := probeRuntimeID(probeStatus(t, pod, "kubia"))

	framework.Crictl(t, "exec", id, "/kubia", "write", "/tmp/unready", "x")
	pod = agent.WaitPod(name, 20*time.Second, "not Ready", probePodReady(false))
	cs := probeStatus(t, pod, "kubia")
	if cs.State.Running == nil || cs.RestartCount != 0 {
		t.Fatalf("a failing readiness probe must leave the container running: %+v", cs)
	}
	if !probeHasEvent(probePodEvents(t, agent, name), "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500") {
		t.Fatal("no Unhealthy event for the failing readiness probe")
	}

	framework.Crictl(t, "exec", id, "/kubia", "rm", "/tmp/unready")
	agent.WaitPod(name, 20*time.Second, "Ready again", probePodReady(true))
}

func TestSlowStartupProbeHoldsLivenessBack(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("startup")
	// The app is "starting" while /gate/starting exists on the host. The
	// liveness probe runs the same check with failureThreshold 1: if it
	// ran before startup passed, it would restart the container at once.
	gate := t.TempDir()
	starting := filepath.Join(gate, "starting")
	if err := os.WriteFile(starting, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    volumeMounts: [{name: gate, mountPath: /gate}]
    startupProbe:
      exec: {command: ["/kubia", "check", "/gate/starting"]}
      periodSeconds: 1
      failureThreshold: 120
    livenessProbe:
      exec: {command: ["/kubia", "check", "/gate/starting"]}
      periodSeconds: 1
      failureThreshold: 1
`, fmt.Sprintf("  volumes: [{name: gate, hostPath: {path: %s}}]\n", gate)))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	time.Sleep(5 * time.Second)
	cs := probeStatus(t, agent.Pod(name), "kubia")
	if cs.RestartCount != 0 || cs.State.Running == nil {
		t.Fatalf("liveness ran before the startup probe passed: %+v", cs)
	}
	if cs.Started == nil || *cs.Started || cs.Ready {
		t.Fatalf("started/ready while the startup probe fails: started=%v ready=%v", cs.Started, cs.Ready)
	}

	if err := os.Remove(starting); err != nil {
		t.Fatal(err)
	}
	pod := agent.WaitPod(name, 20*time.Second, "started and ready", func(p *v1.Pod) bool {
		cs := probeStatus(t, p, "kubia")
		return cs.Started != nil && *cs.Started && cs.Ready
	})
	if cs := probeStatus(t, pod, "kubia"); cs.RestartCount != 0 {
		t.Fatalf("container restarted during a slow but successful start: %+v", cs)
	}
}

func TestExecAndTCPProbesPassAndFail(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("kinds")
	image := agent.Env.KubiaImage
	// Two containers share the pod's network: tcp answers on 8080 (named
	// port "web"), tcpdead probes a port nobody listens on.
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: exec
    image: %[2]s
    args: ["-listen", ":8082"]
    readinessProbe:
      exec: {command: ["/kubia", "check", "/tmp/unready"]}
      periodSeconds: 1
  - name: tcp
    image: %[2]s
    ports: [{name: web, containerPort: 8080}]
    readinessProbe:
      tcpSocket: {port: web}
      periodSeconds: 1
  - name: tcpdead
    image: %[2]s
    args: ["-listen", ":8083"]
    readinessProbe:
      tcpSocket: {port: 8089}
      periodSeconds: 1
`, name, image))
	agent.WaitPod(name, 60*time.Second, "exec and tcp ready, tcpdead not", func(p *v1.Pod) bool {
		return framework.Running(p) && probeStatus(t, p, "exec").Ready && probeStatus(t, p, "tcp").Ready && !probeStatus(t, p, "tcpdead").Ready
	})
	if !probeHasEvent(probePodEvents(t, agent, name), "Unhealthy", "Readiness probe failed: dial tcp") {
		t.Fatal("no Unhealthy event naming the refused TCP dial")
	}
	execID := probeRuntimeID(probeStatus(t, agent.Pod(name), "exec"))
	framework.Crictl(t, "exec", execID, "/kubia", "write", "/tmp/unready", "x")
	agent.WaitPod(name, 20*time.Second, "exec not ready", func(p *v1.Pod) bool { return !probeStatus(t, p, "exec").Ready })
	events := probePodEvents(t, agent, name)
	if !probeHasEvent(events, "Unhealthy", `Readiness probe failed: command ["/kubia" "check" "/tmp/unready"] exited with code 1`) {
		t.Fatalf("no Unhealthy event with the exec probe's exit code; events:\n%s", probeEventList(events))
	}
	framework.Crictl(t, "exec", execID, "/kubia", "rm", "/tmp/unready")
	agent.WaitPod(name, 20*time.Second, "exec ready again", func(p *v1.Pod) bool { return probeStatus(t, p, "exec").Ready })
}

// TestGRPCProbeFollowsHealthService probes a real grpc.health.v1 server.
// kubia has none, so the server runs in the test on the host and the pod
// is a hostNetwork pod, whose probes go to the node.
func TestGRPCProbeFollowsHealthService(t *testing.T) {
	listener, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	healthServer := health.NewServer()
	healthpb.RegisterHealthServer(server, healthServer)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	port := listener.Addr().(*net.TCPAddr).Port

	agent := framework.StartAgent(t)
	name := framework.UniqueName("grpc")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: %s
    args: ["-listen", "127.0.0.1:0"]
    readinessProbe:
      grpc: {port: %d}
      periodSeconds: 1
`, name, agent.Env.KubiaImage, port))
	agent.WaitPod(name, 60*time.Second, "Running, not ready (NOT_SERVING)", func(p *v1.Pod) bool {
		return framework.Running(p) && !probeStatus(t, p, "app").Ready
	})
	time.Sleep(2 * time.Second)
	if probeStatus(t, agent.Pod(name), "app").Ready {
		t.Fatal("ready while the health service says NOT_SERVING")
	}
	if !probeHasEvent(probePodEvents(t, agent, name), "Unhealthy", "NOT_SERVING") {
		t.Fatal("no Unhealthy event naming NOT_SERVING")
	}
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	agent.WaitPod(name, 20*time.Second, "Ready (SERVING)", probePodReady(true))
	healthServer.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	agent.WaitPod(name, 20*time.Second, "not Ready (NOT_SERVING again)", probePodReady(false))
}

// probeStatus returns the named container's status, failing the test when
// the pod has none.
func probeStatus(t *testing.T, p *v1.Pod, container string) v1.ContainerStatus {
	t.Helper()
	if p != nil {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == container {
				return cs
			}
		}
	}
	t.Fatalf("pod has no status for container %s: %+v", container, p)
	return v1.ContainerStatus{}
}

// probeRuntimeID strips the runtime prefix from a status's container ID.
func probeRuntimeID(cs v1.ContainerStatus) string {
	if _, id, ok := strings.Cut(cs.ContainerID, "://"); ok {
		return id
	}
	return cs.ContainerID
}

// probePodReady matches a running pod whose Ready and ContainersReady
// conditions are both ready (or both not).
func probePodReady(ready bool) func(*v1.Pod) bool {
	want := v1.ConditionFalse
	if ready {
		want = v1.ConditionTrue
	}
	return func(p *v1.Pod) bool {
		if !framework.Running(p) {
			return false
		}
		seen := 0
		for _, c := range p.Status.Conditions {
			if c.Type == v1.PodReady || c.Type == v1.ContainersReady {
				if c.Status != want {
					return false
				}
				seen++
			}
		}
		return seen == 2
	}
}

// probePodEvents reads the pod's events from the agent's API, as `kubectl
// get events` would.
func probePodEvents(t *testing.T, agent *framework.Agent, pod string) []v1.Event {
	t.Helper()
	resp, err := agent.Get(context.Background(), "/api/v1/namespaces/default/events")
	if err != nil {
		t.Fatalf("listing events: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/namespaces/default/events: %s (the agent must serve pod events)", resp.Status)
	}
	var list v1.EventList
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("decoding events: %v", err)
	}
	var events []v1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.Name == pod {
			events = append(events, e)
		}
	}
	return events
}

func probeHasEvent(events []v1.Event, reason, messagePart string) bool {
	for _, e := range events {
		if e.Reason == reason && strings.Contains(e.Message, messagePart) {
			return true
		}
	}
	return false
}

func probeEventList(events []v1.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %s %s: %s\n", e.Type, e.Reason, e.Message)
	}
	return b.String()
}
