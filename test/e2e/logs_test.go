//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/logs"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Rotation flags of `minikubelet run`, named like the kubelet's.
const (
	flagLogMaxSize  = "--container-log-max-size"
	flagLogMaxFiles = "--container-log-max-files"
	flagLogInterval = "--container-log-monitor-interval"
)

// logsCLI runs the real `minikubelet logs` against the agent.
func logsCLI(t *testing.T, agent *framework.Agent, timeout time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, agent.Binary, append(append([]string{"logs"}, agent.ClientArgs()...), args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("minikubelet logs %v still running after %s: %w", args, timeout, ctx.Err())
	}
	return out.String(), errOut.String(), err
}

// mustLogs runs `minikubelet logs` and fails the test if it fails.
func mustLogs(t *testing.T, agent *framework.Agent, args ...string) string {
	t.Helper()
	out, errOut, err := logsCLI(t, agent, 30*time.Second, args...)
	if err != nil {
		t.Fatalf("minikubelet logs %v: %v\nstderr: %s\nagent log:\n%s", args, err, errOut, lastLines(agent.Logs(), 30))
	}
	return out
}

// kubiaLines is what kubia prints for -log-lines n: "line 1" .. "line n".
func kubiaLines(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func waitLogs(t *testing.T, agent *framework.Agent, want string, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var out, errOut string
	for time.Now().Before(deadline) {
		out, errOut, _ = logsCLI(t, agent, 10*time.Second, args...)
		if strings.Contains(out, want) {
			return out
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("minikubelet logs %v never showed %q; last output %q, stderr %q\nagent log:\n%s", args, want, out, errOut, lastLines(agent.Logs(), 30))
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestLogsCommandShowsWhatTheRuntimeWrote(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("logs")
	agent.WriteManifest(name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: %[2]s
    args: ["-log-lines", "5"]
  - name: side
    image: %[2]s
    args: ["-listen", "127.0.0.1:9091", "-log-lines", "3", "-log-stderr"]
`, name, agent.Env.KubiaImage))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)

	app := waitLogs(t, agent, "line 5\n", name, "-c", "app")
	crictlOut := framework.Crictl(t, "logs", containerID(t, name, "app"))
	if app != crictlOut || !strings.Contains(app, kubiaLines(1, 5)) {
		t.Errorf("logs -c app =\n%s\ncrictl logs =\n%s\nwant both to hold line 1..5", app, crictlOut)
	}

	_, errOut, err := logsCLI(t, agent, 10*time.Second, name)
	want := fmt.Sprintf("a container name must be specified for pod %s, choose one of: [app side]", name)
	if err == nil || !strings.Contains(errOut, want) {
		t.Errorf("logs without -c: err %v, stderr %q; want %q", err, errOut, want)
	}

	if got := mustLogs(t, agent, name, "-c", "app", "--tail", "2"); got != lastLines(app, 2)+"\n" {
		t.Errorf("--tail 2 = %q, want the last two lines of %q", got, app)
	}
	waitLogs(t, agent, "line 3\n", name, "-c", "side")
	sidePath := "/containerLogs/default/" + name + "/side?stream="
	if body, err := agent.GetBody(framework.Context(t, 10*time.Second), sidePath+"stderr"); err != nil || body != kubiaLines(1, 3) {
		t.Errorf("side's stderr = %q, %v; want line 1..3", body, err)
	}
	if body, err := agent.GetBody(framework.Context(t, 10*time.Second), sidePath+"stdout"); err != nil || body != "listening on 127.0.0.1:9091 (http)\n" {
		t.Errorf("side's stdout = %q, %v", body, err)
	}
	stamped := mustLogs(t, agent, name, "-c", "app", "--timestamps", "--tail", "1")
	stamp, line, _ := strings.Cut(strings.TrimSuffix(stamped, "\n"), " ")
	if ts, err := time.Parse(time.RFC3339Nano, stamp); err != nil || time.Since(ts) > 5*time.Minute || line != "line 5" {
		t.Errorf("--timestamps --tail 1 = %q", stamped)
	}
	all := mustLogs(t, agent, name, "--all-containers", "--prefix")
	if !strings.Contains(all, "[pod/"+name+"/app] line 5\n") || !strings.Contains(all, "[pod/"+name+"/side] line 3") {
		t.Errorf("--all-containers --prefix =\n%s", all)
	}
	body, err := agent.GetBody(framework.Context(t, 10*time.Second), "/containerLogs/default/"+name+"/app?tailLines=1")
	if err != nil || body != "line 5\n" {
		t.Errorf("GET /containerLogs/.../app?tailLines=1 = %q, %v", body, err)
	}
}

func TestLogsFollowEndsWhenContainerExits(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("follow")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name,
		"    args: [\"-log-lines\", \"40\", \"-log-interval\", \"50ms\", \"-exit-code\", \"0\"]\n", "  restartPolicy: Never\n"))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	started := time.Now()
	out := mustLogs(t, agent, name, "-f")
	checkNumbered(t, "logs -f", out, 1, 40)
	if !strings.HasSuffix(out, "exiting with code 0\n") {
		t.Errorf("logs -f does not end with the container's last line: %q", lastLines(out, 2))
	}
	// The container prints for ~2 s; the follow must end soon after it exits.
	if took := time.Since(started); took > 15*time.Second {
		t.Errorf("logs -f ended %s after start, want soon after the container exited", took)
	}
}

func TestLogsPreviousShowsTheCrashedInstance(t *testing.T) {
	agent := framework.StartAgent(t)
	name := framework.UniqueName("prev")
	// The last line has no newline: containerd writes it as a partial
	// record when the container exits.
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "    args: [\"-log-lines\", \"2\", \"-log-stderr\", \"-log-partial\", \"-exit-code\", \"1\"]\n", ""))
	agent.WaitPod(name, 60*time.Second, "restarted once", func(p *v1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].RestartCount >= 1
	})
	previous := mustLogs(t, agent, name, "--previous")
	for _, want := range []string{"listening on [::]:8080 (http)\n", "line 1\n", "line 2\n", "exiting with code 1\n"} {
		if !strings.Contains(previous, want) {
			t.Errorf("logs --previous = %q, want it to hold %q", previous, want)
		}
	}
	stderr, err := agent.GetBody(framework.Context(t, 10*time.Second), "/containerLogs/default/"+name+"/kubia?previous=true&stream=stderr")
	if err != nil || stderr != kubiaLines(1, 2) {
		t.Errorf("previous stderr = %q, %v; want line 1..2 with the partial last line whole", stderr, err)
	}
}

// The agent rotates a busy container's log (rename, CRI ReopenContainerLog,
// gzip, prune) while a user follows it; the follower sees every line once.
func TestLogsRotationKeepsFollowersWhole(t *testing.T) {
	const lines = 4000
	agent := framework.StartAgent(t, flagLogMaxSize, "32Ki", flagLogMaxFiles, "10", flagLogInterval, "100ms")
	name := framework.UniqueName("rotate")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name,
		fmt.Sprintf("    args: [\"-log-lines\", \"%d\", \"-log-interval\", \"1ms\", \"-exit-code\", \"0\"]\n", lines), "  restartPolicy: Never\n"))
	agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	out, errOut, err := logsCLI(t, agent, 2*time.Minute, name, "-f")
	if err != nil {
		t.Fatalf("logs -f: %v\n%s", err, errOut)
	}
	checkNumbered(t, "logs -f across rotations", out, 1, lines)

	dir := filepath.Join(agent.PodLogDir, "default_"+name+"_*", "kubia")
	gz, _ := filepath.Glob(filepath.Join(dir, "0.log.*.gz"))
	plain, _ := filepath.Glob(filepath.Join(dir, "0.log.*[0-9]"))
	// The newest stays plain while the runtime may write it; once the
	// container has exited the rotator compresses it too.
	if len(gz) < 2 || len(plain) > 1 {
		t.Errorf("rotated files: %d compressed %v and %d plain %v; want several compressed and at most the newest plain", len(gz), gz, len(plain), plain)
	}
	checkNumbered(t, "logs after rotation", mustLogs(t, agent, name), 1, lines)
	// The last line is kubia's "exiting with code 0".
	checkNumbered(t, "logs --tail 11 after rotation", mustLogs(t, agent, name, "--tail", "11"), lines-9, lines)
}

// checkNumbered fails unless kubia's numbered lines in out are exactly
// "line from" .. "line to"; kubia's own messages around them are skipped.
func checkNumbered(t *testing.T, what, out string, from, to int) {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(line, "listening on ") && !strings.HasPrefix(line, "exiting with code ") {
			got = append(got, line)
		}
	}
	for i, line := range got {
		if line != "line "+strconv.Itoa(from+i) {
			t.Fatalf("%s: output line %d is %q, want %q (%d lines in all)", what, i+1, line, "line "+strconv.Itoa(from+i), len(got))
		}
	}
	if len(got) != to-from+1 {
		t.Fatalf("%s: %d lines, want %d", what, len(got), to-from+1)
	}
}

// Without the agent: the rotator and a follower on a container the real
// containerd runs, so CRI ReopenContainerLog and the runtime's own log
// writer are what the reader has to keep up with.
func TestLogRotatorAndFollowerOnRealRuntime(t *testing.T) {
	const lines = 3000
	env := framework.LoadEnv(t)
	ctx := framework.Context(t, 3*time.Minute)
	runtime := framework.DialRuntime(t, env)
	imageRef, err := runtime.PullImage(ctx, &runtimeapi.ImageSpec{Image: env.KubiaImage}, nil, nil)
	if err != nil {
		t.Fatalf("pulling %s: %v", env.KubiaImage, err)
	}
	pod := newSmokePod(t)
	sandboxID := runSandbox(ctx, t, runtime, pod)
	if err := os.MkdirAll(filepath.Join(pod.logDir, "kubia"), 0o755); err != nil {
		t.Fatal(err)
	}
	config := &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "kubia"},
		Image:    &runtimeapi.ImageSpec{Image: imageRef, UserSpecifiedImage: env.KubiaImage},
		Args:     []string{"-log-lines", strconv.Itoa(lines), "-log-interval", "1ms", "-exit-code", "0"},
		LogPath:  filepath.Join("kubia", "0.log"),
		Labels:   pod.labels(),
		Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
			NamespaceOptions: pod.sandboxConfig().GetLinux().GetSecurityContext().GetNamespaceOptions(),
		}},
	}
	containerID, err := runtime.CreateContainer(ctx, sandboxID, config, pod.sandboxConfig())
	if err != nil {
		t.Fatalf("creating kubia: %v", err)
	}
	framework.Cleanup(t, "remove container "+containerID, func(ctx context.Context) error {
		if err := runtime.RemoveContainer(ctx, containerID); err != nil && !cri.IsNotFound(err) {
			return err
		}
		return nil
	})

	rotator, err := logs.NewRotator(logs.RotatorConfig{
		Runtime: runtime, Logger: framework.TestLogger(t),
		MaxSize: 16 << 10, MaxFiles: 20, Interval: 50 * time.Millisecond,
		Labels: map[string]string{labelPodUID: pod.uid},
	})
	if err != nil {
		t.Fatal(err)
	}
	rotateCtx, stopRotating := context.WithCancel(ctx)
	rotated := make(chan error, 1)
	go func() { rotated <- rotator.Run(rotateCtx) }()
	defer func() { stopRotating(); <-rotated }()

	if err := runtime.StartContainer(ctx, containerID); err != nil {
		t.Fatalf("starting kubia: %v", err)
	}
	livePath := filepath.Join(pod.logDir, "kubia", "0.log")
	running := func(ctx context.Context) (bool, error) {
		status, err := runtime.ContainerStatus(ctx, containerID, false)
		return status.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING, err
	}
	var out bytes.Buffer
	stats, err := logs.ReadLogs(ctx, logs.Request{Path: livePath, Options: logs.Options{Follow: true}, Running: running, CheckInterval: 100 * time.Millisecond, Logger: framework.TestLogger(t)}, &out)
	if err != nil {
		t.Fatalf("following %s: %v", livePath, err)
	}
	checkNumbered(t, "follow across containerd log reopens", out.String(), 1, lines)
	if stats.Malformed != 0 {
		t.Errorf("%d malformed lines in containerd's log", stats.Malformed)
	}
	gz, _ := filepath.Glob(livePath + ".*.gz")
	all, _ := filepath.Glob(livePath + ".*")
	if len(gz) < 2 {
		t.Errorf("rotated files %v: want several compressed ones", all)
	}
	t.Logf("%d rotated files (%d compressed)", len(all), len(gz))
	var whole bytes.Buffer
	if _, err := logs.ReadLogs(ctx, logs.Request{Path: livePath}, &whole); err != nil {
		t.Fatal(err)
	}
	checkNumbered(t, "reading the rotated log afterwards", whole.String(), 1, lines)
}
