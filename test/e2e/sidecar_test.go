//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestSidecarServesJobAndStopsWhenItCompletes runs a Job-like static pod
// (restartPolicy Never) on the real runtime: a sidecar (an init container
// with restartPolicy: Always) writes its log into a shared emptyDir in its
// postStart hook and is started once its startup probe finds that file;
// only then does the regular init container run, and after it the app
// container, both reading the sidecar's log. When the app exits 0 the
// pod completes Succeeded and the sidecar is stopped, its exit code
// (SIGTERM's) not failing the pod.
func TestSidecarServesJobAndStopsWhenItCompletes(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("sidecar")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - name: logger
    image: %[2]s
    restartPolicy: Always
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart:
        exec: {command: ["/kubia", "write", "/shared/logger.log", "logger up"]}
    startupProbe:
      exec: {command: ["/kubia", "test", "-f", "/shared/logger.log"]}
      periodSeconds: 1
  - name: setup
    image: %[2]s
    args: ["cat", "/shared/logger.log"]
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: job
    image: %[2]s
    args: ["cat", "/shared/logger.log"]
    volumeMounts: [{name: shared, mountPath: /shared}]
`, name, agent.Env.KubiaImage))

	pod := agent.WaitPod(name, 90*time.Second, "Succeeded with the sidecar stopped", func(p *v1.Pod) bool {
		logger := sidecarInitStatus(p, "logger")
		return p.Status.Phase == v1.PodSucceeded && logger != nil && logger.State.Terminated != nil
	})
	for _, c := range []string{"setup", "job"} {
		if out := mustLogs(t, agent, name, "-c", c); !strings.Contains(out, "logger up") {
			t.Errorf("logs -c %s = %q; want the sidecar's log, written before it started", c, out)
		}
	}
	logger, setup := sidecarInitStatus(pod, "logger"), sidecarInitStatus(pod, "setup")
	job := probeStatus(t, pod, "job")
	if setup == nil || setup.State.Terminated == nil || job.State.Terminated == nil || job.State.Terminated.ExitCode != 0 {
		t.Fatalf("setup %+v, job %+v: want both exited 0", setup, job.State)
	}
	// The sidecar ran from before setup started until after the job ended.
	loggerRan := logger.State.Terminated
	if loggerRan.StartedAt.After(setup.State.Terminated.StartedAt.Time) ||
		setup.State.Terminated.FinishedAt.After(job.State.Terminated.StartedAt.Time) ||
		loggerRan.FinishedAt.Before(&job.State.Terminated.FinishedAt) {
		t.Errorf("order: logger %s..%s, setup %s..%s, job %s..%s; want logger around setup then job",
			loggerRan.StartedAt, loggerRan.FinishedAt, setup.State.Terminated.StartedAt, setup.State.Terminated.FinishedAt,
			job.State.Terminated.StartedAt, job.State.Terminated.FinishedAt)
	}
	if logger.RestartCount != 0 {
		t.Errorf("sidecar restarted %d times; want it started once and stopped at the end", logger.RestartCount)
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == v1.PodInitialized && c.Status != v1.ConditionTrue {
			t.Errorf("Initialized = %s (%s); want True once the pod completed", c.Status, c.Message)
		}
	}
}

func sidecarInitStatus(p *v1.Pod, name string) *v1.ContainerStatus {
	for i := range p.Status.InitContainerStatuses {
		if p.Status.InitContainerStatuses[i].Name == name {
			return &p.Status.InitContainerStatuses[i]
		}
	}
	return nil
}
