//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// restartSamples is how many container exits each b.N iteration measures;
// each uses a fresh pod, since later restarts of one container back off.
const restartSamples = 5

// BenchmarkExitToRestart prints how long the agent takes from a container's
// exit to the start of its replacement (the runtime's FinishedAt of the old
// instance to the CreatedAt of the new one), on the same runtime with the
// relist alone and with CRI container events. Events need a runtime that
// streams them (containerd 2.x, CRI-O with enable_pod_events as the test
// bed runs it: MINIKUBELET_E2E_RUNTIME=containerd2 or crio); the events
// case is skipped on containerd 1.6. The goal with events is ≤ 100 ms; with
// a 1 s relist it is about half a second on average.
func BenchmarkExitToRestart(b *testing.B) {
	env := framework.LoadEnv(b)
	for _, mode := range []string{"relist", "events"} {
		b.Run(mode, func(b *testing.B) {
			var extra []string
			if mode == "relist" {
				extra = []string{"--runtime-endpoint", startNoEventsProxy(b, env.RuntimeEndpoint)}
			}
			agent := framework.StartAgent(b, extra...)
			waitCapabilities(b, agent, mode == "events")
			runtime := framework.DialRuntime(b, env)
			var latencies []time.Duration
			for range b.N {
				for range restartSamples {
					latencies = append(latencies, measureExitToRestart(b, agent, runtime))
				}
			}
			reportLatencies(b, env.Runtime+"/"+mode, latencies)
		})
	}
}

// waitCapabilities waits for the agent's capability line and skips the
// events case on a runtime without them.
func waitCapabilities(b *testing.B, agent *framework.Agent, wantEvents bool) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if known, events := agentUsesEvents(agent.Logs()); known {
			if events != wantEvents {
				if wantEvents {
					b.Skipf("%s streams no container events; run with %s=containerd2 or crio", agent.Env.Runtime, framework.RuntimeVar)
				}
				b.Fatalf("the agent uses events behind the no-events proxy:\n%s", agent.Logs())
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatalf("no runtime capabilities line within 10s:\n%s", agent.Logs())
}

// measureExitToRestart runs a pod, kills its container through the
// runtime (SIGKILL, as an OOM kill or crash would end it) and returns the
// time from the exit to the replacement's creation, both as the runtime
// recorded them.
func measureExitToRestart(b *testing.B, agent *framework.Agent, runtime *cri.Client) time.Duration {
	ctx := framework.Context(b, time.Minute)
	name := framework.UniqueName("restart")
	file := name + ".yaml"
	agent.WriteManifest(file, kubiaPod(agent.Env, name, "", ""))
	defer agent.RemoveManifest(file)
	pod := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	oldID := runtimeID(pod.Status.ContainerStatuses[0].ContainerID)

	if err := runtime.StopContainer(ctx, oldID, 0); err != nil {
		b.Fatalf("killing container %s: %v", oldID, err)
	}
	agent.WaitPod(name, 30*time.Second, "restarted", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount >= 1 && runtimeID(cs[0].ContainerID) != oldID
	})
	old, err := runtime.ContainerStatus(ctx, oldID, false)
	if err != nil {
		b.Fatalf("status of the killed container: %v", err)
	}
	replacement := newerInstance(ctx, b, runtime, old.GetStatus())
	return time.Duration(replacement.GetCreatedAt() - old.GetStatus().GetFinishedAt())
}

// newerInstance finds the container created for the same pod and name
// after old.
func newerInstance(ctx context.Context, b *testing.B, runtime *cri.Client, old *runtimeapi.ContainerStatus) *runtimeapi.Container {
	containers, err := runtime.ListContainers(ctx, &runtimeapi.ContainerFilter{LabelSelector: map[string]string{
		"io.kubernetes.pod.uid":        old.GetLabels()["io.kubernetes.pod.uid"],
		"io.kubernetes.container.name": old.GetMetadata().GetName(),
	}})
	if err != nil {
		b.Fatalf("listing the pod's containers: %v", err)
	}
	for _, c := range containers {
		if c.GetMetadata().GetAttempt() > old.GetMetadata().GetAttempt() {
			return c
		}
	}
	b.Fatalf("no newer instance of container %s in the runtime", old.GetMetadata().GetName())
	return nil
}

func runtimeID(containerID string) string {
	_, id, _ := strings.Cut(containerID, "://")
	return id
}

func reportLatencies(b *testing.B, label string, latencies []time.Duration) {
	slices.Sort(latencies)
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	mean := sum / time.Duration(len(latencies))
	b.ReportMetric(float64(mean.Microseconds())/1000, "ms/exit-to-restart")
	b.ReportMetric(0, "ns/op") // one op is several pod lifecycles: not a useful figure
	fmt.Printf("exit→restart-begin %-20s n=%d min=%s median=%s mean=%s max=%s\n", label, len(latencies),
		latencies[0].Round(time.Millisecond), latencies[len(latencies)/2].Round(time.Millisecond),
		mean.Round(time.Millisecond), latencies[len(latencies)-1].Round(time.Millisecond))
}
