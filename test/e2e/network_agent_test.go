//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// The pod network through the real agent (issue 5). Checks that only read
// the shared test bed run on it; those that break the runtime's CNI config
// or crash the runtime run on a private node (framework.StartNode: its own
// containerd in its own network namespace), so other tests on the shared
// runtime never see a missing conflist or a dead containerd.

// TestAgentNetworkPodsReachEachOtherByIP: pods get addresses from the pod
// CIDR, the host reaches them, a pod reaches another by IP without NAT, and
// the two containers of one pod share its address and localhost.
func TestAgentNetworkPodsReachEachOtherByIP(t *testing.T) {
	env := framework.LoadEnv(t)
	agent := framework.StartAgent(t, env.NetworkArgs()...)
	client, server := framework.UniqueName("net-client"), framework.UniqueName("net-server")
	agent.WriteManifest(client+".yaml", kubiaPod(env, client, "", ""))
	agent.WriteManifest(server+".yaml", agentNetTwoContainerPod(server, env.KubiaImage))
	clientIP := agentNetPodIPIn(t, agent.WaitPod(client, time.Minute, "Running", framework.Running), env.PodCIDR)
	serverIP := agentNetPodIPIn(t, agent.WaitPod(server, time.Minute, "Running", framework.Running), env.PodCIDR)
	if clientIP == serverIP {
		t.Fatalf("both pods got %s", clientIP)
	}

	body, err := framework.HTTPGet(framework.Context(t, 20*time.Second), "http://"+net.JoinHostPort(clientIP, "8080")+"/")
	if err != nil || body != "You've hit "+client+"\n" {
		t.Fatalf("host → pod %s: %q, %v", clientIP, body, err)
	}
	fromClient := containerID(t, client, "kubia")
	for _, port := range []string{"8080", "9090"} { // web and side: one pod, one address
		url := "http://" + net.JoinHostPort(serverIP, port) + "/"
		if got := framework.Crictl(t, "exec", fromClient, "/kubia", "get", url); got != "You've hit "+server+"\n" {
			t.Errorf("pod %s → %s: %q", client, url, got)
		}
	}
	side := containerID(t, server, "side")
	if got := framework.Crictl(t, "exec", side, "/kubia", "get", "http://127.0.0.1:8080/"); got != "You've hit "+server+"\n" {
		t.Errorf("side → web over the pod's localhost: %q", got)
	}
	webLog := framework.Crictl(t, "logs", containerID(t, server, "web"))
	if !strings.Contains(webLog, "GET / from "+clientIP+":") {
		t.Errorf("server did not see the client pod's own address %s (NAT between pods?):\n%s", clientIP, webLog)
	}
}

// TestAgentNetworkRepairsItsConflist: a deleted conflist and one replaced by
// a wrong network are rewritten by the agent's periodic check, and the
// runtime then gives new pods addresses from the right range again.
func TestAgentNetworkRepairsItsConflist(t *testing.T) {
	node := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.63.0.0/24"})
	agent := node.NewAgent(t, "--cni-check-interval", "1s")
	agent.Start()
	want := agentNetRenderedConflist(t, node)
	path := filepath.Join(node.CNIConfDir, cni.ConfFileName)
	framework.WaitUntil(t, 10*time.Second, "the agent's conflist in the runtime's conf dir", func() bool { return agentNetFileEquals(path, want) })
	agentNetWaitRuntimeUses(t, node, node.BridgeName)
	agentNetRunPodOnNode(t, agent, node, "before")

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	took := framework.WaitUntil(t, 5*time.Second, "the deleted conflist to be rewritten", func() bool { return agentNetFileEquals(path, want) })
	t.Logf("deleted conflist rewritten after %s", took.Round(time.Millisecond))
	agentNetWaitRuntimeUses(t, node, node.BridgeName)
	agentNetRunPodOnNode(t, agent, node, "after-delete")

	wrong := strings.NewReplacer(node.BridgeName, "mkwrong0", node.PodCIDR, "10.250.0.0/24").Replace(string(want))
	if err := agentNetWriteAtomic(path, wrong); err != nil {
		t.Fatal(err)
	}
	// The runtime loads the wrong network within a moment, and the agent's
	// 1 s check may replace it first: on a busy machine crictl can miss the
	// window, so seeing it is logged, not required. The repair line below
	// ("was=modified") is what proves the agent acted on the edit.
	sawWrong := false
	framework.WaitUntil(t, 10*time.Second, "the runtime to load the wrong network or the agent to repair it", func() bool {
		sawWrong = strings.Contains(node.Crictl(t, "info"), `\"bridge\": \"mkwrong0\"`)
		return sawWrong || len(agentNetLinesWith(agent.Logs(), `msg="repaired CNI config"`)) == 2
	})
	t.Logf("runtime seen on the wrong network before the repair: %v", sawWrong)
	took = framework.WaitUntil(t, 5*time.Second, "the wrong conflist to be replaced", func() bool { return agentNetFileEquals(path, want) })
	t.Logf("wrong conflist replaced after %s", took.Round(time.Millisecond))
	agentNetWaitRuntimeUses(t, node, node.BridgeName)
	agentNetRunPodOnNode(t, agent, node, "after-wrong")

	repairs := agentNetLinesWith(agent.Logs(), `msg="repaired CNI config"`)
	if len(repairs) != 2 || !strings.Contains(repairs[0], "was=missing") || !strings.Contains(repairs[1], "was=modified") {
		t.Errorf("want one repair line for the deleted file, then one for the modified one:\n%s", strings.Join(repairs, "\n"))
	}
	if counted, err := agent.Metric("minikubelet_cni_config_repairs_total"); err != nil || counted != 2 {
		t.Errorf("minikubelet_cni_config_repairs_total = %v (%v), want 2", counted, err)
	}
}

// leakGrace is the crash test's --cni-leak-grace: long enough for a
// RunPodSandbox on a busy 2-core machine (an allocation younger than it is
// never released), short enough to converge in seconds. containerd 1.6
// lists a sandbox only once RunPodSandbox is done, well after its CNI ADD:
// with 5 s, on a machine loaded with a second runtime's pod churn, the
// agent released 4 of 10 sandboxes' addresses mid-creation (ADD to listed
// took 6-8 s). The agent's default, 3 minutes, outlasts the CRI timeout.
const leakGrace = 15 * time.Second

// TestAgentNetworkCrashMidCreationLeaksNoAddress: the runtime and the agent
// are SIGKILLed while 10 sandboxes are being created; once both are back,
// every allocated address belongs to a live sandbox and every live sandbox
// has one, and removing the pods frees every address.
//
// containerd 1.6 records a sandbox before its CNI ADD, so after a crash it
// mostly tears the network down itself. The address a runtime leaks when it
// dies between ADD and recording the sandbox (CRI-O, older containerd) is
// made by the test while the runtime is down, with the real plugins and the
// node's conflist, so the agent's release of it is checked every run.
func TestAgentNetworkCrashMidCreationLeaksNoAddress(t *testing.T) {
	node := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.64.0.0/24"})
	agent := node.NewAgent(t, "--cni-check-interval", "500ms", "--cni-leak-grace", leakGrace.String())
	agent.Start()
	var names []string
	for i := range 10 {
		names = append(names, framework.UniqueName(fmt.Sprintf("crash%d", i)))
		agent.WriteManifest(names[i]+".yaml", kubiaPod(agent.Env, names[i], "", ""))
	}
	var atKill map[string]string
	framework.WaitUntil(t, time.Minute, "3 addresses allocated", func() bool {
		atKill = agentNetAllocations(t, node)
		return len(atKill) >= 3
	})
	node.KillContainerd()
	agent.Signal(syscall.SIGKILL)
	leak := agentNetLeakAddress(t, node)
	node.StartContainerd()
	orphans := 0
	listed := node.SandboxIDs(t, false)
	for _, owner := range agentNetAllocations(t, node) {
		if !listed[owner] {
			orphans++
		}
	}
	t.Logf("killed with %d addresses allocated; after the runtime's restart %d belong to no sandbox it lists (the test's leak included) and %d sandboxes are half-made (not ready)",
		len(atKill), orphans, len(listed)-len(node.SandboxIDs(t, true)))
	agent.Start()

	var lastSeen string // what kept the last check from converging
	converged := func() bool {
		ready, allocations := node.SandboxIDs(t, true), agentNetAllocations(t, node)
		lastSeen = fmt.Sprintf("%d ready sandboxes of %d pods, %d addresses: %v; every sandbox: %v", len(ready), len(names), len(allocations), allocations, node.SandboxIDs(t, false))
		if len(ready) != len(names) || len(allocations) != len(ready) {
			return false
		}
		for _, owner := range allocations {
			if !ready[owner] {
				return false
			}
		}
		for _, name := range names {
			if pod := agent.Pod(name); pod == nil || !framework.Running(pod) {
				lastSeen = fmt.Sprintf("pod %s not Running in the agent's API: %+v", name, pod)
				return false
			}
		}
		return true
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last check: %s", lastSeen)
			t.Logf("agent log:\n%s", agent.Logs())
		}
	})
	took := framework.WaitUntil(t, 2*time.Minute, "one address per ready sandbox and 10 running pods", converged)
	time.Sleep(leakGrace) // anything still to be released is past its grace now
	if !converged() {
		t.Fatalf("converged after %s but not stable: ready sandboxes %v, allocations %v", took, node.SandboxIDs(t, true), agentNetAllocations(t, node))
	}
	released, err := agent.Metric("minikubelet_cni_leaked_addresses_released_total")
	if err != nil || released < 1 || !strings.Contains(agent.Logs(), "containerID="+leak.ContainerID) {
		t.Errorf("the leaked address of %s was not released by the agent (released_total %v, %v)", leak.ContainerID, released, err)
	}
	if links := leak.netns.MustRun(t, "ip", "-brief", "link"); strings.Contains(links, "eth0") {
		t.Errorf("releasing the leak left its interface (CNI DEL not run?):\n%s", links)
	}
	t.Logf("converged %s after the restart; the agent released %v leaked address(es)", took.Round(time.Millisecond), released)

	for _, name := range names {
		agent.RemoveManifest(name + ".yaml")
	}
	framework.WaitUntil(t, time.Minute, "every sandbox, address and CNI cache entry gone", func() bool {
		entries, err := node.CacheEntries()
		return len(node.SandboxIDs(t, false)) == 0 && len(agentNetAllocations(t, node)) == 0 && err == nil && len(entries) == 0
	})
	// A namespace containerd made but had not recorded when it died is
	// beyond any CRI client's reach; the node's teardown unmounts it.
	if mounts, _ := framework.MountsUnder(filepath.Join(node.Dir, "state")); len(mounts) != 0 {
		t.Logf("containerd's own leak: %d pod network namespace(s) still mounted with no sandbox: %v", len(mounts), mounts)
	}
}

// TestAgentNetworkMissingBridgePluginFailsAtStart: without the bridge
// plugin the agent exits at once with one line naming the plugin, where it
// looked and the fix, having written no config and started no sandbox.
func TestAgentNetworkMissingBridgePluginFailsAtStart(t *testing.T) {
	env := framework.LoadEnv(t)
	binary := framework.AgentBinary(t)
	cases := map[string]func(t *testing.T) string{
		"empty bin dir": func(t *testing.T) string { return t.TempDir() },
		"every plugin but bridge": func(t *testing.T) string {
			dir := t.TempDir()
			entries, err := os.ReadDir(env.CNIBinDir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "bridge" {
					if err := os.Symlink(filepath.Join(env.CNIBinDir, e.Name()), filepath.Join(dir, e.Name())); err != nil {
						t.Fatal(err)
					}
				}
			}
			return dir
		},
	}
	for name, binDir := range cases {
		t.Run(name, func(t *testing.T) {
			bins, confDir, manifests := binDir(t), t.TempDir(), t.TempDir()
			nodeName := framework.UniqueName("nobridge")
			pod := framework.UniqueName("never")
			if err := os.WriteFile(filepath.Join(manifests, pod+".yaml"), []byte(kubiaPod(env, pod, "", "")), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx := framework.Context(t, time.Minute)
			// On its runtime's network: the defaults are containerd 1.6's,
			// which an agent of another runtime may not join.
			args := append([]string{"run", "--runtime-endpoint", env.RuntimeEndpoint,
				"--manifest-dir", manifests, "--root-dir", t.TempDir(), "--pod-log-dir", t.TempDir(),
				"--node-name", nodeName, "--listen", "127.0.0.1:0", "--cni-conf-dir", confDir, "--cni-bin-dir", bins},
				env.NetworkArgs()...)
			cmd := exec.CommandContext(ctx, binary, args...)
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			start := time.Now()
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
				t.Fatalf("agent without bridge: %v after %s, want a non-zero exit at start\n%s", err, time.Since(start), stderr.String())
			}
			errorLines := slices.DeleteFunc(strings.Split(stderr.String(), "\n"), func(line string) bool { return !strings.HasPrefix(line, "error:") })
			if len(errorLines) != 1 {
				t.Fatalf("want exactly one error line, got %d:\n%s", len(errorLines), stderr.String())
			}
			for _, part := range []string{`CNI plugin "bridge" not found`, bins, "--cni-bin-dir", "containernetworking-plugins"} {
				if !strings.Contains(errorLines[0], part) {
					t.Errorf("error line lacks %q: %s", part, errorLines[0])
				}
			}
			t.Logf("exit %d after %s: %s", exit.ExitCode(), time.Since(start).Round(time.Millisecond), errorLines[0])
			if entries, _ := os.ReadDir(confDir); len(entries) != 0 {
				t.Errorf("a config was written although its plugin is missing: %v", entries)
			}
			if strings.Contains(stderr.String(), "sandbox") {
				t.Errorf("the agent went on to start sandboxes:\n%s", stderr.String())
			}
			if ids := framework.Crictl(t, "pods", "-q", "--label", "io.minikubelet.node="+nodeName); strings.TrimSpace(ids) != "" {
				t.Errorf("sandboxes of the failed agent exist: %s", ids)
			}
		})
	}
}

// agentNetTwoContainerPod is a pod whose containers serve on 8080 (web) and
// 9090 (side), each with the pod's hostname.
func agentNetTwoContainerPod(name, image string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: %[2]s
  - name: side
    image: %[2]s
    args: ["-listen", ":9090"]
`, name, image)
}

// agentNetPodIPIn returns the pod's IP after checking it lies in cidr.
func agentNetPodIPIn(t *testing.T, pod *v1.Pod, cidr string) string {
	t.Helper()
	_, ipNet, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(pod.Status.PodIP)
	if ip == nil || !ipNet.Contains(ip) {
		t.Fatalf("pod %s has IP %q, want one in the pod CIDR %s", pod.Name, pod.Status.PodIP, cidr)
	}
	return pod.Status.PodIP
}

// agentNetRunPodOnNode runs a kubia pod through the agent and checks it gets an
// address in the node's pod CIDR that answers HTTP from a pod.
func agentNetRunPodOnNode(t *testing.T, agent *framework.Agent, node *framework.Node, prefix string) string {
	t.Helper()
	name := framework.UniqueName(prefix)
	agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	ip := agentNetPodIPIn(t, agent.WaitPod(name, time.Minute, "Running", framework.Running), node.PodCIDR)
	id := agentNetNodeContainerID(t, node, name, "kubia")
	if got := node.Crictl(t, "exec", id, "/kubia", "get", "http://"+net.JoinHostPort(ip, "8080")+"/"); got != "You've hit "+name+"\n" {
		t.Fatalf("pod %s does not answer on its own IP %s: %q", name, ip, got)
	}
	return ip
}

// agentNetRenderedConflist is what the cni package renders for the node's
// agent flags: the file the agent must keep in place, byte for byte.
func agentNetRenderedConflist(t *testing.T, node *framework.Node) []byte {
	t.Helper()
	manager, err := cni.New(cni.Config{
		PodCIDR: node.PodCIDR, BridgeName: node.BridgeName, ConfDir: node.CNIConfDir,
		BinDirs: []string{node.Env().CNIBinDir}, DataDir: node.CNIDataDir,
	}, agentNetNoSandboxes{})
	if err != nil {
		t.Fatal(err)
	}
	return manager.Conflist()
}

// agentNetNoSandboxes satisfies cni.New; the rendered config never lists.
type agentNetNoSandboxes struct{}

func (agentNetNoSandboxes) ListPodSandbox(context.Context, *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	return nil, nil
}

// agentNetWaitRuntimeUses waits until the runtime reports a loaded CNI network
// on bridge (crictl info shows containerd's live CNI config), so the next
// pod is set up with the file now on disk, not the one before it.
func agentNetWaitRuntimeUses(t *testing.T, node *framework.Node, bridge string) {
	t.Helper()
	framework.WaitUntil(t, 10*time.Second, "the runtime to load the network on bridge "+bridge, func() bool {
		info := node.Crictl(t, "info")
		return strings.Contains(info, `\"bridge\": \"`+bridge+`\"`)
	})
}

// agentNetNodeContainerID returns the running container of a pod on a node.
func agentNetNodeContainerID(t *testing.T, node *framework.Node, pod, container string) string {
	t.Helper()
	ids := strings.Fields(node.Crictl(t, "ps", "-q", "--label", "io.kubernetes.pod.name="+pod, "--label", "io.kubernetes.container.name="+container))
	if len(ids) != 1 {
		t.Fatalf("want one running container %s in pod %s on node %s, crictl shows %v", container, pod, node.Netns.Name, ids)
	}
	return ids[0]
}

// agentNetWriteAtomic replaces path the way an editor or config tool would.
func agentNetWriteAtomic(path, content string) error {
	tmp := path + ".e2e-tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// agentNetLeak is an address attached with the real plugins for a sandbox
// the runtime never recorded.
type agentNetLeak struct {
	*libcni.RuntimeConf
	netns *framework.Netns
}

// agentNetLeakAddress runs CNI ADD, as the node's runtime would, with the
// node's conflist and libcni cache for a container ID the runtime has
// never seen. If the agent does not release it, the test's cleanup does.
func agentNetLeakAddress(t *testing.T, node *framework.Node) agentNetLeak {
	t.Helper()
	conflist, err := libcni.ConfListFromFile(filepath.Join(node.CNIConfDir, cni.ConfFileName))
	if err != nil {
		t.Fatal(err)
	}
	plugins := libcni.NewCNIConfigWithCacheDir([]string{node.Env().CNIBinDir}, cni.DefaultCacheDir, nil)
	leak := agentNetLeak{netns: framework.NewNetns(t, "mkleak-")}
	leak.RuntimeConf = &libcni.RuntimeConf{ContainerID: framework.RandomHex(32), NetNS: leak.netns.Path(), IfName: "eth0"}
	ctx := framework.Context(t, time.Minute)
	if err := node.Netns.Do(func() error { _, err := plugins.AddNetworkList(ctx, conflist, leak.RuntimeConf); return err }); err != nil {
		t.Fatalf("CNI ADD for the simulated leak: %v", err)
	}
	framework.Cleanup(t, "CNI DEL of the simulated leak", func(ctx context.Context) error {
		return node.Netns.Do(func() error { return plugins.DelNetworkList(ctx, conflist, leak.RuntimeConf) })
	})
	return leak
}

// agentNetAllocations is the node's allocations, failing the test on error.
func agentNetAllocations(t *testing.T, node *framework.Node) map[string]string {
	t.Helper()
	allocations, err := node.Allocations()
	if err != nil {
		t.Fatal(err)
	}
	return allocations
}

func agentNetAllRunning(agent *framework.Agent, names []string) bool {
	for _, name := range names {
		if pod := agent.Pod(name); pod == nil || !framework.Running(pod) {
			return false
		}
	}
	return true
}

func agentNetFileEquals(path string, want []byte) bool {
	got, err := os.ReadFile(path)
	return err == nil && string(got) == string(want)
}

// agentNetLinesWith returns the lines of text that contain part.
func agentNetLinesWith(text, part string) []string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, part) {
			lines = append(lines, line)
		}
	}
	return lines
}
