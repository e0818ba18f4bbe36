//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// Operating minikubelet: the containerd it starts itself when no runtime is
// given (what `make run` uses on a fresh machine), and its config file.
//
// The managed containerd here is a second containerd beside the test bed's:
// its own root, state, sockets and runc root come from --root-dir and
// --run-dir. Its pods get a network of their own (--manage-network=false
// and a conflist written here): the agent's managed network is one per
// host, and a second one would release the test bed's pod addresses as
// leaked and rewrite its masquerade chain.

var (
	pauseBinaryOnce sync.Once
	pauseBinary     string
	pauseBinaryErr  error
)

// binaryWithPauseImage builds minikubelet as make build does: with the
// pause image embedded, which the managed containerd imports.
func binaryWithPauseImage(t *testing.T) string {
	t.Helper()
	pauseBinaryOnce.Do(func() {
		root, err := framework.RepoRoot()
		if err != nil {
			pauseBinaryErr = err
			return
		}
		// One fixed path, replaced by each run, so runs leave one binary.
		pauseBinary = filepath.Join(os.TempDir(), "minikubelet-e2e-pause", "minikubelet")
		if err := os.MkdirAll(filepath.Dir(pauseBinary), 0o755); err != nil {
			pauseBinaryErr = err
			return
		}
		for _, args := range [][]string{
			{"generate", "./cri/managed"},
			{"build", "-tags", "minikubelet_pause", "-o", pauseBinary, "./cmd/minikubelet"},
		} {
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				pauseBinaryErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if pauseBinaryErr != nil {
		t.Fatal(pauseBinaryErr)
	}
	return pauseBinary
}

// managedRuntime is where one test's managed containerd lives.
type managedRuntime struct {
	runDir, config, socket, bridge string
}

// newManagedAgent prepares an agent that starts its own containerd. The
// returned agent's crictl talks to that containerd.
func newManagedAgent(t *testing.T, extraArgs ...string) (*framework.Agent, managedRuntime) {
	t.Helper()
	// Unix socket paths are limited to 108 bytes: t.TempDir() is too long.
	runDir, err := os.MkdirTemp("", "mkop-")
	if err != nil {
		t.Fatal(err)
	}
	confDir := t.TempDir()
	suffix := framework.RandomHex(3)
	rt := managedRuntime{runDir: runDir, socket: filepath.Join(runDir, "containerd.sock"), bridge: "mkop" + suffix}
	writeOwnConflist(t, confDir, suffix, rt.bridge)
	// Registered first, so it runs last: after the agent removed its pods.
	framework.Cleanup(t, "stop the managed containerd", func(ctx context.Context) error { return rt.stop(t) })

	env := *framework.LoadEnv(t)
	args := append([]string{"--runtime-endpoint=", "--run-dir", runDir, "--manage-network=false"}, extraArgs...)
	agent := framework.NewAgent(t, args...)
	agent.Binary = binaryWithPauseImage(t)
	env.RuntimeEndpoint = "unix://" + rt.socket
	env.CNIConfDir = confDir
	agent.Env = &env
	rt.config = filepath.Join(agent.RootDir, "containerd", "config.toml")
	return agent, rt
}

// writeOwnConflist gives the managed containerd a bridge network of its own
// whose host-local state stays in the conf dir (removed with it).
func writeOwnConflist(t *testing.T, confDir, suffix, bridge string) {
	t.Helper()
	octet, _ := strconv.ParseUint(suffix[:2], 16, 8)
	conflist := fmt.Sprintf(`{"cniVersion": "1.0.0", "name": "mkop-%s", "plugins": [
  {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": "10.85.%d.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}`, suffix, bridge, filepath.Join(confDir, "ipam"), octet)
	if err := os.WriteFile(filepath.Join(confDir, "10-mkop.conflist"), []byte(conflist), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pid is the managed containerd's pid, or 0 when none runs.
func (rt managedRuntime) pid(t *testing.T) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, entry := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "cmdline"))
		if err == nil && strings.HasSuffix(string(cmdline), "\x00--config\x00"+rt.config+"\x00") {
			pid, _ := strconv.Atoi(entry.Name())
			return pid
		}
	}
	return 0
}

// stop ends the managed containerd if a test left it running, and removes
// what it leaves behind: mounts under its run dir, the run dir, the bridge.
func (rt managedRuntime) stop(t *testing.T) error {
	if pid := rt.pid(t); pid != 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
	_ = exec.Command("ip", "link", "del", rt.bridge).Run()
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	var left []string
	for _, line := range strings.Split(string(mounts), "\n") {
		if fields := strings.Fields(line); len(fields) > 4 && strings.HasPrefix(fields[4], rt.runDir+"/") {
			left = append(left, fields[4])
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("mounts left under %s: %v", rt.runDir, left)
	}
	return os.RemoveAll(rt.runDir)
}

func TestManagedContainerdRunsPodsAndOutlivesTheAgent(t *testing.T) {
	agent, rt := newManagedAgent(t)
	if rt.pid(t) != 0 {
		t.Fatal("a managed containerd runs before the agent started")
	}
	agent.Start()
	first := rt.pid(t)
	if first == 0 {
		t.Fatalf("no containerd runs with --config %s:\n%s", rt.config, agent.Logs())
	}
	if sid, _ := unix.Getsid(first); sid != first {
		t.Errorf("the managed containerd is in session %d, not its own: Ctrl-C on the agent would stop it", sid)
	}
	name := framework.UniqueName("kubia-op")
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	pod := agent.WaitPod(name, 60*time.Second, "Running", framework.Running)
	assertAnswers(t, pod.Status.PodIP, name)
	images := crictlOn(t, agent.Env, "images")
	if !strings.Contains(images, "localhost/minikubelet/pause") {
		t.Errorf("the embedded pause image is not in the managed containerd:\n%s", images)
	}
	sandbox := strings.TrimSpace(crictlOn(t, agent.Env, "pods", "-q", "--name", name))

	// Ctrl-C: the agent stops, containerd and the pod go on.
	agent.Signal(syscall.SIGINT)
	if rt.pid(t) != first {
		t.Fatalf("the managed containerd (pid %d) did not outlive the agent", first)
	}
	assertAnswers(t, pod.Status.PodIP, name)

	// The next start adopts the same containerd and the same sandbox.
	agent.Start()
	if !strings.Contains(agent.Logs(), "adopted the managed containerd") || rt.pid(t) != first {
		t.Fatalf("the second start did not adopt pid %d:\n%s", first, agent.Logs())
	}
	agent.WaitPod(name, 30*time.Second, "Running", framework.Running)
	if again := strings.TrimSpace(crictlOn(t, agent.Env, "pods", "-q", "--name", name)); again != sandbox {
		t.Fatalf("sandbox %s replaced by %q after the restart", sandbox, again)
	}

	// containerd dies: the agent restarts it; the pod keeps running.
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for rt.pid(t) == 0 || rt.pid(t) == first {
		if time.Now().After(deadline) {
			t.Fatalf("containerd not restarted within 30s:\n%s", agent.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	assertAnswers(t, pod.Status.PodIP, name)
	agent.WaitPod(name, 30*time.Second, "Running after the runtime restart", framework.Running)
}

func TestStopRuntimeOnExitStopsTheManagedContainerd(t *testing.T) {
	agent, rt := newManagedAgent(t, "--stop-runtime-on-exit")
	agent.Start()
	if rt.pid(t) == 0 {
		t.Fatalf("no managed containerd:\n%s", agent.Logs())
	}
	agent.Signal(syscall.SIGTERM)
	if pid := rt.pid(t); pid != 0 {
		t.Fatalf("containerd pid %d still runs after the agent exited with --stop-runtime-on-exit", pid)
	}
}

func TestRuntimeEndpointSkipsTheManagedContainerd(t *testing.T) {
	runDir, err := os.MkdirTemp("", "mkop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(runDir) })
	agent := framework.NewAgent(t, append(framework.LoadEnv(t).NetworkArgs(), "--run-dir", runDir)...)
	agent.Binary = binaryWithPauseImage(t)
	agent.Start()
	logs := agent.Logs()
	if !strings.Contains(logs, "managed=false") || strings.Contains(logs, "managed containerd started") {
		t.Fatalf("with --runtime-endpoint the agent must not manage a runtime:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Join(runDir, "containerd.sock")); err == nil {
		t.Fatal("a managed containerd socket appeared")
	}
}

func TestConfigFileIsStrictAndFlagsOverrideIt(t *testing.T) {
	binary := binaryWithPauseImage(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("manifestDir: /srv/pods\nrelistPeriod: 5\nlisten: 127.0.0.1:1\nlisten: 127.0.0.1:2\nmanifest-dir: /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "run", "--config", bad).CombinedOutput()
	if err == nil {
		t.Fatalf("run with a broken config file succeeded:\n%s", out)
	}
	for _, want := range []string{"config file " + bad, `"listen" already set`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	fixed := filepath.Join(dir, "fixed.yaml")
	if err := os.WriteFile(fixed, []byte("relistPeriod: 5\nmanifest-dir: /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = exec.Command(binary, "run", "--config", fixed).CombinedOutput()
	for _, want := range []string{"config file " + fixed + ": 2 problems", "relistPeriod: want a duration such as 1s", `unknown field "manifest-dir" (did you mean "manifestDir"?)`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// The framework passes --listen, --manifest-dir and more as flags: they
	// must win over the file, whose other fields still apply.
	good := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(good, []byte("listen: 127.0.0.1:1\nmanifestDir: /nonexistent\nrelistPeriod: 3s\nlogLevel: debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	agent := framework.NewAgent(t, append(framework.LoadEnv(t).NetworkArgs(), "--config", good)...)
	agent.Binary = binary
	agent.Start() // waits for the API on agent.Listen, the flag's address
	logs := agent.Logs()
	for _, want := range []string{"effective configuration", "RelistPeriod:3s", "Listen:" + agent.Listen, "ManifestDir:" + agent.ManifestDir} {
		if !strings.Contains(logs, want) {
			t.Errorf("debug log lacks %q:\n%s", want, logs)
		}
	}
}

// --v is kubelet-style verbosity: 4 or more turns a file's logLevel into
// debug, which logs the effective configuration before anything starts.
func TestVerbosityFlagOverridesTheConfigFilesLogLevel(t *testing.T) {
	binary := binaryWithPauseImage(t)
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, []byte("logLevel: warn\nruntimeEndpoint: unix:///nonexistent/minikubelet-e2e.sock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The runtime never answers: each run is cut short once it has logged.
	startOutput := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, binary, append([]string{"run", "--config", config}, args...)...).CombinedOutput()
		return string(out)
	}
	if out := startOutput(); strings.Contains(out, "effective configuration") {
		t.Errorf("logLevel warn from the file still logged at debug:\n%s", out)
	}
	if out := startOutput("--v", "4"); !strings.Contains(out, `level=DEBUG msg="effective configuration"`) || !strings.Contains(out, "LogLevel:debug") {
		t.Errorf("--v 4 did not log the effective configuration at debug:\n%s", out)
	}
}

// crictlOn runs crictl against env's runtime and returns its stdout.
func crictlOn(t *testing.T, env *framework.Env, args ...string) string {
	t.Helper()
	out, errOut, err := env.RunCrictl(args...)
	if err != nil {
		t.Fatalf("crictl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func assertAnswers(t *testing.T, ip, name string) {
	t.Helper()
	body, err := framework.HTTPGet(framework.Context(t, 20*time.Second), "http://"+net.JoinHostPort(ip, "8080")+"/")
	if err != nil || body != "You've hit "+name+"\n" {
		t.Fatalf("GET pod %s at %s: %q, %v", name, ip, body, err)
	}
}
