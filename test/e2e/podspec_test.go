//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

func TestMemoryLimitIsEnforcedAndOOMKillReported(t *testing.T) {
	agent := framework.StartAgent(t)
	limited := framework.UniqueName("memlimit")
	hog := framework.UniqueName("oom")
	resources := "    resources:\n      limits: {memory: 64Mi, cpu: 500m}\n"
	agent.WriteManifest(limited+".yaml", kubiaPod(agent.Env, limited, resources, ""))
	agent.WriteManifest(hog+".yaml", kubiaPod(agent.Env, hog, resources+"    args: [\"-alloc-mib\", \"200\"]\n", "  restartPolicy: Never\n"))

	agent.WaitPod(limited, 60*time.Second, "Running", framework.Running)
	id := containerID(t, limited, "kubia")
	got := strings.TrimSpace(framework.Crictl(t, "exec", id, "/kubia", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"))
	if got != fmt.Sprint(64<<20) {
		t.Fatalf("memory.limit_in_bytes inside the container = %q, want %d", got, 64<<20)
	}
	quota := strings.TrimSpace(framework.Crictl(t, "exec", id, "/kubia", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))
	if quota != "50000" {
		t.Fatalf("cpu.cfs_quota_us = %q, want 50000 (500m of a 100ms period)", quota)
	}
	agent.WaitPod(hog, 60*time.Second, "OOMKilled", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Terminated != nil && cs[0].State.Terminated.Reason == "OOMKilled"
	})
}

func TestSecurityContextIsObservableInsideContainer(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("secure")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, `    securityContext:
      runAsUser: 1234
      runAsGroup: 2345
      readOnlyRootFilesystem: true
      capabilities:
        drop: ["NET_RAW"]
`, ""))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	id := containerID(t, name, "kubia")
	ident := framework.Crictl(t, "exec", id, "/kubia", "id")
	if !strings.Contains(ident, "uid=1234 gid=2345") {
		t.Fatalf("kubia id does not show uid 1234 / gid 2345:\n%s", ident)
	}
	for _, line := range strings.Split(ident, "\n") {
		if strings.HasPrefix(line, "CapBnd=") && strings.Contains(line, "net_raw") {
			t.Fatalf("NET_RAW was dropped but is still in the bounding set: %s", line)
		}
	}
	stdout, stderr, err := agent.Env.RunCrictl("exec", id, "/kubia", "write", "/rootfs-file", "x")
	if err == nil {
		t.Fatalf("writing to a read-only root filesystem succeeded: %s %s", stdout, stderr)
	}
	if !strings.Contains(stderr+stdout, "read-only file system") {
		t.Fatalf("write failed, but not for the read-only root: %s %s", stdout, stderr)
	}
}

func TestRunAsNonRootRefusesRootImage(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("nonroot")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "    securityContext: {runAsNonRoot: true}\n", ""))
	p := agent.WaitPod(name, 60*time.Second, "CreateContainerConfigError", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "CreateContainerConfigError"
	})
	if msg := p.Status.ContainerStatuses[0].State.Waiting.Message; !strings.Contains(msg, "runAsNonRoot") {
		t.Fatalf("reason does not explain runAsNonRoot: %q", msg)
	}
}

func TestHostNetworkAndHostPortAnswerOnLoopback(t *testing.T) {
	agent := framework.StartAgent(t)
	hostNet := framework.UniqueName("hostnet")
	hostPort := framework.UniqueName("hostport")
	netPort, mappedPort := freePort(t), freePort(t)
	agent.WriteManifest(hostNet+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: kubia
    image: %s
    args: ["-listen", "127.0.0.1:%d"]
`, hostNet, agent.Env.KubiaImage, netPort))
	agent.WriteManifest(hostPort+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: kubia
    image: %s
    ports:
    - {containerPort: 8080, hostPort: %d}
`, hostPort, agent.Env.KubiaImage, mappedPort))
	agent.WaitPod(hostNet, 60*time.Second, "Running", framework.Running)
	agent.WaitPod(hostPort, 60*time.Second, "Running", framework.Running)

	ctx := framework.Context(t, 20*time.Second)
	body, err := framework.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", netPort))
	if err != nil || !strings.HasPrefix(body, "You've hit ") {
		t.Fatalf("hostNetwork pod on 127.0.0.1:%d: %q %v", netPort, body, err)
	}
	body, err = framework.HTTPGet(ctx, fmt.Sprintf("http://127.0.0.1:%d/", mappedPort))
	if err != nil || body != "You've hit "+hostPort+"\n" {
		t.Fatalf("hostPort %d on 127.0.0.1: %q %v", mappedPort, body, err)
	}
}

func TestConfigMapVolumeIsRefusedNamingTheField(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("cm")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", "  volumes:\n  - name: cfg\n    configMap: {name: settings}\n"))
	p := agent.WaitPod(name, 20*time.Second, "refused", func(p *v1.Pod) bool { return p.Status.Reason == "ManifestError" })
	if !strings.Contains(p.Status.Message, "spec.volumes[0].configMap") {
		t.Fatalf("refusal does not name spec.volumes[0].configMap: %q", p.Status.Message)
	}
	if len(podSandboxes(t, name)) != 0 {
		t.Fatalf("a refused pod got a sandbox")
	}
}

func TestTerminationMessageFromFileAndFromLogs(t *testing.T) {
	agent := framework.StartAgent(t)
	fromFile := framework.UniqueName("tmsg")
	fromLogs := framework.UniqueName("tlog")
	agent.WriteManifest(fromFile+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  restartPolicy: Never
  containers:
  - name: kubia
    image: %s
    command: ["/kubia", "write", "/dev/termination-log", "bye from the file"]
`, fromFile, agent.Env.KubiaImage))
	agent.WriteManifest(fromLogs+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  restartPolicy: Never
  containers:
  - name: kubia
    image: %s
    args: ["-log-lines", "3", "-exit-code", "4"]
    terminationMessagePolicy: FallbackToLogsOnError
`, fromLogs, agent.Env.KubiaImage))
	done := func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Terminated != nil
	}
	p := agent.WaitPod(fromFile, 60*time.Second, "terminated", done)
	if msg := p.Status.ContainerStatuses[0].State.Terminated.Message; msg != "bye from the file" {
		t.Fatalf("termination message from /dev/termination-log = %q", msg)
	}
	p = agent.WaitPod(fromLogs, 60*time.Second, "terminated", done)
	if msg := p.Status.ContainerStatuses[0].State.Terminated.Message; !strings.Contains(msg, "line 3") {
		t.Fatalf("FallbackToLogsOnError message lacks the log's last lines: %q", msg)
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
