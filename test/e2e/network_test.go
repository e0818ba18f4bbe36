//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/libcni"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/vishvananda/netns"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// These tests drive the cni package against real parts: the test bed's
// containerd, Debian's CNI plugins, iptables and the kernel's routing table.
// The agent does not wire cni yet, so they use the package directly.

// TestNetworkRuntimeRunsPodsOnOurConflist: the runtime gives pods addresses
// from the conflist the manager writes, and keeps doing so after the file is
// deleted, because the manager puts it back.
//
// A runtime reloads its conf dir on its own schedule after the file is back,
// and nothing in CRI says when it has: CRI-O's NetworkReady stays true once
// its plugin was first ready, even with the conf dir empty. So the sandbox
// made after the repair, like the agent's after a failed attempt, is tried
// again while the runtime answers that it has no CNI config loaded (and
// only then).
func TestNetworkRuntimeRunsPodsOnOurConflist(t *testing.T) {
	env := netRequireRoot(t)
	runtime := framework.DialRuntime(t, env)
	ctx := framework.Context(t, 2*time.Minute)
	netRemoveMasqChainAfter(t, env.BridgeName)

	manager, err := cni.New(cni.Config{
		PodCIDR: env.PodCIDR, ConfDir: env.CNIConfDir, BinDirs: []string{env.CNIBinDir},
		BridgeName: env.BridgeName, CacheDir: env.CNICacheDir, DataDir: env.CNIDataDir,
		CheckInterval: 100 * time.Millisecond, Logger: framework.TestLogger(t),
	}, runtime)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- manager.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })

	netWaitFor(t, "our conflist in the runtime's config dir", func() bool { return netFileEquals(manager.ConfPath(), manager.Conflist()) })
	if err := cni.WaitNetworkReady(ctx, runtime, 100*time.Millisecond, 5*time.Second); err != nil {
		t.Fatalf("runtime network never ready with our conflist: %v", err)
	}
	netWaitFor(t, "masquerade chain excluding the cluster CIDR", func() bool {
		out, _ := exec.Command("iptables", "-w", "-t", "nat", "-S", "MKLT-MASQ-"+env.BridgeName).Output()
		return strings.Contains(string(out), "-d "+env.PodCIDR+" -j RETURN")
	})
	_, podCIDR, _ := net.ParseCIDR(env.PodCIDR)
	netCheckPodIP(t, ctx, runtime, podCIDR)

	if err := os.Remove(manager.ConfPath()); err != nil {
		t.Fatal(err)
	}
	netWaitFor(t, "the deleted conflist to be rewritten", func() bool { return netFileEquals(manager.ConfPath(), manager.Conflist()) })
	netCheckPodIPOnceReloaded(t, ctx, runtime, podCIDR)
}

// netCheckPodIPOnceReloaded is netCheckPodIP for a sandbox made right after
// the conflist came back: while the runtime says it has no CNI config
// loaded yet, it tries again, for up to 10 s; any other error fails.
func netCheckPodIPOnceReloaded(t *testing.T, ctx context.Context, runtime *cri.Client, podCIDR *net.IPNet) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tries := 1; ; tries++ {
		id, err := netTryRunSandbox(t, ctx, runtime)
		if err == nil {
			t.Logf("the runtime ran a sandbox on the rewritten conflist at try %d", tries)
			netCheckSandboxIP(t, ctx, runtime, id, podCIDR)
			return
		}
		if !runtimeHasNoCNIConfig(err) || time.Now().After(deadline) {
			t.Fatalf("RunPodSandbox after the conflist was rewritten (try %d): %v", tries, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runtimeHasNoCNIConfig tells the runtimes' answers for "no CNI config
// loaded" from other failures: CRI-O's, containerd's.
func runtimeHasNoCNIConfig(err error) bool {
	for _, says := range []string{"no CNI configuration file in", "cni plugin not initialized", "cni config uninitialized"} {
		if strings.Contains(err.Error(), says) {
			return true
		}
	}
	return false
}

// TestNetworkReleasesLeakedAddresses: addresses whose sandbox is gone from
// the runtime are released through the real plugins; the address of a live
// sandbox is kept. Attachments are made with libcni, as containerd does,
// on a private bridge, range and state directories.
func TestNetworkReleasesLeakedAddresses(t *testing.T) {
	env := netRequireRoot(t)
	runtime := framework.DialRuntime(t, env)
	ctx := framework.Context(t, 2*time.Minute)
	root := t.TempDir()
	cfg := cni.Config{
		PodCIDR: "10.199.0.0/24", BridgeName: "mkl" + framework.RandomHex(3),
		ConfDir: filepath.Join(root, "net.d"), BinDirs: []string{env.CNIBinDir},
		DataDir: filepath.Join(root, "networks"), CacheDir: filepath.Join(root, "cache"),
		LeakGrace: time.Nanosecond, Logger: framework.TestLogger(t),
	}
	released := 0
	cfg.OnLeakReleased = func() { released++ }
	manager, err := cni.New(cfg, runtime)
	if err != nil {
		t.Fatal(err)
	}
	list, err := libcni.NetworkConfFromBytes(manager.Conflist())
	if err != nil {
		t.Fatal(err)
	}
	plugins := libcni.NewCNIConfigWithCacheDir(cfg.BinDirs, cfg.CacheDir, nil)
	framework.Cleanup(t, "delete test bridge", func(context.Context) error {
		return netRunErr("ip", "link", "del", cfg.BridgeName)
	})

	liveID := netRunSandbox(t, ctx, runtime)
	goneID := framework.RandomHex(32) // a sandbox that crashed away without CNI DEL
	liveIP := netAttach(t, ctx, plugins, list, liveID)
	goneIP := netAttach(t, ctx, plugins, list, goneID)
	allocDir := filepath.Join(cfg.DataDir, cni.NetworkName)
	orphan := filepath.Join(allocDir, "10.199.0.250") // allocation whose cache entry was lost
	if err := os.WriteFile(orphan, []byte(framework.RandomHex(32)+"\r\neth0"), 0o644); err != nil {
		t.Fatal(err)
	}

	n, err := manager.ReleaseLeaks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || released != 2 {
		t.Fatalf("released %d (hook %d), want 2: the gone sandbox's address and the orphan", n, released)
	}
	if _, err := os.Stat(filepath.Join(allocDir, goneIP)); !os.IsNotExist(err) {
		t.Errorf("gone sandbox's address %s still allocated", goneIP)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Error("orphan allocation still there")
	}
	if out := netRunIn(t, "mk-"+goneID[:8], "ip", "-br", "link"); strings.Contains(out, "eth0") {
		t.Errorf("CNI DEL left the gone sandbox's interface:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(allocDir, liveIP)); err != nil {
		t.Fatalf("live sandbox's address %s was released: %v", liveIP, err)
	}
	if cached, _ := plugins.GetCachedAttachments(liveID); len(cached) != 1 {
		t.Fatalf("live sandbox's cache entry gone")
	}
}

// TestNetworkHostRulesAndPeerRoutes runs the manager inside a private
// network namespace standing in for a node with one peer: it installs the
// masquerade chain and the peer route, and repairs both when removed.
func TestNetworkHostRulesAndPeerRoutes(t *testing.T) {
	env := netRequireRoot(t)
	runtime := framework.DialRuntime(t, env)
	ctx := framework.Context(t, time.Minute)
	node := netNamespace(t, "mkn-"+framework.RandomHex(3))
	// The peer's node IP must be on a connected network: give the node one.
	netRunIn(t, node, "ip", "link", "add", "uplink", "type", "veth", "peer", "name", "uplink-far")
	netRunIn(t, node, "ip", "addr", "add", "192.168.77.1/24", "dev", "uplink")
	netRunIn(t, node, "ip", "link", "set", "uplink", "up")
	netRunIn(t, node, "ip", "link", "set", "uplink-far", "up")

	peer, err := cni.ParsePeer("192.168.77.2=10.98.2.0/24")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	manager, err := cni.New(cni.Config{
		PodCIDR: "10.98.1.0/24", ClusterCIDR: "10.98.0.0/16", Peers: []cni.Peer{peer},
		ConfDir: filepath.Join(root, "net.d"), BinDirs: []string{env.CNIBinDir},
		DataDir: filepath.Join(root, "networks"), CacheDir: filepath.Join(root, "cache"),
		CheckInterval: 100 * time.Millisecond, Logger: framework.TestLogger(t),
	}, runtime)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	netInNamespace(t, node, func() { done <- manager.Run(runCtx) })
	t.Cleanup(func() { stop(); <-done })

	routeUp := func() bool {
		return strings.Contains(netRunIn(t, node, "ip", "route", "show", "proto", "177"), "10.98.2.0/24 via 192.168.77.2")
	}
	chain := "MKLT-MASQ-" + cni.DefaultBridgeName // named after the bridge
	chainUp := func() bool {
		out := netRunIn(t, node, "iptables", "-w", "-t", "nat", "-S")
		return strings.Contains(out, "-A "+chain+" -d 10.98.0.0/16 -j RETURN") &&
			strings.Contains(out, "-A POSTROUTING -m comment --comment minikubelet-masquerade-"+cni.DefaultBridgeName+" -j "+chain)
	}
	netWaitFor(t, "peer route", routeUp)
	netWaitFor(t, "masquerade chain", chainUp)

	netRunIn(t, node, "ip", "route", "del", "10.98.2.0/24")
	netRunIn(t, node, "iptables", "-w", "-t", "nat", "-F", chain)
	netWaitFor(t, "peer route to be repaired", routeUp)
	netWaitFor(t, "masquerade chain to be repaired", chainUp)
}

// TestNetworkFlatAcrossTwoNodes: two private namespaces stand in for two
// nodes joined by a link, each with the manager's conflist run by the real
// plugins and the manager's route and masquerade rules. A pod reaches the
// other node's pod with its own source IP, and reaches the other node itself
// masqueraded. (Containerd and the agent are not run per node here.)
func TestNetworkFlatAcrossTwoNodes(t *testing.T) {
	env := netRequireRoot(t)
	runtime := framework.DialRuntime(t, env)
	ctx := framework.Context(t, time.Minute)
	suffix := framework.RandomHex(2)
	nodeA, nodeB := netNamespace(t, "mkna-"+suffix), netNamespace(t, "mknb-"+suffix)
	netRun(t, "ip", "link", "add", "up-"+suffix, "netns", nodeA, "type", "veth", "peer", "name", "up-"+suffix, "netns", nodeB)
	for ns, addr := range map[string]string{nodeA: "192.168.78.1/24", nodeB: "192.168.78.2/24"} {
		netRunIn(t, ns, "ip", "addr", "add", addr, "dev", "up-"+suffix)
		netRunIn(t, ns, "ip", "link", "set", "up-"+suffix, "up")
	}
	podA := netTwoNodeSetup(t, ctx, env, runtime, nodeA, "10.97.1.0/24", "192.168.78.2=10.97.2.0/24")
	podB := netTwoNodeSetup(t, ctx, env, runtime, nodeB, "10.97.2.0/24", "192.168.78.1=10.97.1.0/24")

	if seen := netSourceSeen(t, podA.ns, podB.ns, net.JoinHostPort(podB.ip, "8080")); seen != podA.ip {
		t.Errorf("pod B saw pod A's traffic from %s, want pod A's own IP %s (no masquerade inside the cluster CIDR)", seen, podA.ip)
	}
	if seen := netSourceSeen(t, podA.ns, nodeB, "192.168.78.2:8081"); seen != "192.168.78.1" {
		t.Errorf("node B saw pod A's traffic from %s, want node A's address 192.168.78.1 (masqueraded leaving the cluster)", seen)
	}
}

type netPod struct{ ns, ip string }

// netTwoNodeSetup runs the manager's Setup inside node and attaches one pod
// to the node's network through the real plugins, as the runtime would.
func netTwoNodeSetup(t *testing.T, ctx context.Context, env *framework.Env, runtime *cri.Client, node, podCIDR, peerFlag string) netPod {
	t.Helper()
	peer, err := cni.ParsePeer(peerFlag)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	cfg := cni.Config{
		PodCIDR: podCIDR, ClusterCIDR: "10.97.0.0/16", Peers: []cni.Peer{peer},
		ConfDir: filepath.Join(root, "net.d"), BinDirs: []string{env.CNIBinDir},
		DataDir: filepath.Join(root, "networks"), CacheDir: filepath.Join(root, "cache"), Logger: framework.TestLogger(t),
	}
	manager, err := cni.New(cfg, runtime)
	if err != nil {
		t.Fatal(err)
	}
	list, err := libcni.NetworkConfFromBytes(manager.Conflist())
	if err != nil {
		t.Fatal(err)
	}
	plugins := libcni.NewCNIConfigWithCacheDir(cfg.BinDirs, cfg.CacheDir, nil)
	pod := netPod{ns: netNamespace(t, node+"-pod")}
	rt := &libcni.RuntimeConf{ContainerID: framework.RandomHex(32), NetNS: "/var/run/netns/" + pod.ns, IfName: "eth0"}
	errc := make(chan error, 1)
	var result *current.Result
	netInNamespace(t, node, func() {
		if err := manager.Setup(ctx); err != nil {
			errc <- fmt.Errorf("setup: %w", err)
			return
		}
		added, err := plugins.AddNetworkList(ctx, list, rt)
		if err == nil {
			result, err = current.NewResultFromResult(added)
		}
		errc <- err
	})
	if err := <-errc; err != nil || len(result.IPs) == 0 {
		t.Fatalf("node %s: %v", node, err)
	}
	return netPod{ns: pod.ns, ip: result.IPs[0].Address.IP.String()}
}

// netSourceSeen connects from namespace from to address (served in
// namespace to) and returns the source IP the server saw.
func netSourceSeen(t *testing.T, from, to, address string) string {
	t.Helper()
	listened := make(chan net.Listener, 1)
	netInNamespace(t, to, func() {
		l, err := net.Listen("tcp", address)
		if err != nil {
			t.Errorf("listening on %s in %s: %v", address, to, err)
		}
		listened <- l
	})
	l := <-listened
	if l == nil {
		t.FailNow()
	}
	defer l.Close()
	dialed := make(chan error, 1)
	netInNamespace(t, from, func() {
		conn, err := net.DialTimeout("tcp", address, 5*time.Second)
		if err == nil {
			conn.Close()
		}
		dialed <- err
	})
	if err := <-dialed; err != nil {
		t.Fatalf("connecting from %s to %s: %v", from, address, err)
	}
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	return host
}

func netRequireRoot(t *testing.T) *framework.Env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network e2e tests need root (netns, iptables, routes)")
	}
	return framework.LoadEnv(t)
}

// netCheckPodIP starts a sandbox and checks the runtime gave it an address
// from podCIDR.
func netCheckPodIP(t *testing.T, ctx context.Context, runtime *cri.Client, podCIDR *net.IPNet) {
	t.Helper()
	netCheckSandboxIP(t, ctx, runtime, netRunSandbox(t, ctx, runtime), podCIDR)
}

func netCheckSandboxIP(t *testing.T, ctx context.Context, runtime *cri.Client, id string, podCIDR *net.IPNet) {
	t.Helper()
	status, err := runtime.PodSandboxStatus(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	ip := net.ParseIP(status.GetStatus().GetNetwork().GetIp())
	if ip == nil || !podCIDR.Contains(ip) {
		t.Fatalf("sandbox %s got IP %q, want one in %s", id, status.GetStatus().GetNetwork().GetIp(), podCIDR)
	}
}

// netRunSandbox starts a pause-only sandbox, removed when the test ends.
func netRunSandbox(t *testing.T, ctx context.Context, runtime *cri.Client) string {
	t.Helper()
	id, err := netTryRunSandbox(t, ctx, runtime)
	if err != nil {
		t.Fatalf("RunPodSandbox: %v", err)
	}
	return id
}

// netTryRunSandbox is netRunSandbox that returns the runtime's error.
func netTryRunSandbox(t *testing.T, ctx context.Context, runtime *cri.Client) (string, error) {
	t.Helper()
	name := framework.UniqueName("e2e-net")
	id, err := runtime.RunPodSandbox(ctx, &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "e2e-network", Uid: framework.RandomHex(16)},
		Hostname:     name,
		LogDirectory: t.TempDir(),
		// The agent's namespaces: a pod-wide PID namespace needs CRI-O's
		// infra container, which cannot start where oom_score_adj is locked.
		Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
			NamespaceOptions: &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_CONTAINER},
		}},
	}, "")
	if err != nil {
		return "", err
	}
	framework.Cleanup(t, "remove sandbox "+id, func(ctx context.Context) error {
		if err := runtime.StopPodSandbox(ctx, id); err != nil {
			return err
		}
		return runtime.RemovePodSandbox(ctx, id)
	})
	return id, nil
}

// netAttach runs CNI ADD for containerID in a new netns, as the runtime
// would, and returns the IP host-local gave it.
func netAttach(t *testing.T, ctx context.Context, plugins *libcni.CNIConfig, list *libcni.NetworkConfigList, containerID string) string {
	t.Helper()
	ns := netNamespace(t, "mk-"+containerID[:8])
	rt := &libcni.RuntimeConf{ContainerID: containerID, NetNS: "/var/run/netns/" + ns, IfName: "eth0"}
	result, err := plugins.AddNetworkList(ctx, list, rt)
	if err != nil {
		t.Fatalf("CNI ADD for %s: %v", containerID, err)
	}
	framework.Cleanup(t, "CNI DEL "+containerID, func(ctx context.Context) error {
		return plugins.DelNetworkList(ctx, list, rt)
	})
	parsed, err := current.NewResultFromResult(result)
	if err != nil || len(parsed.IPs) == 0 {
		t.Fatalf("CNI ADD for %s gave no IP: %v", containerID, err)
	}
	return parsed.IPs[0].Address.IP.String()
}

// netNamespace creates a named network namespace, deleted when the test ends.
func netNamespace(t *testing.T, name string) string {
	t.Helper()
	netRun(t, "ip", "netns", "add", name)
	framework.Cleanup(t, "delete netns "+name, func(context.Context) error {
		return netRunErr("ip", "netns", "del", name)
	})
	return name
}

// netInNamespace runs fn in a new goroutine on an OS thread switched into
// the named namespace; commands it starts inherit that namespace. The
// thread is never switched back: it exits with the goroutine.
func netInNamespace(t *testing.T, name string, fn func()) {
	t.Helper()
	handle, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("opening netns %s: %v", name, err)
	}
	entered := make(chan error, 1)
	go func() {
		defer handle.Close()
		goruntime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := netns.Set(handle); err != nil {
			entered <- err
			return
		}
		entered <- nil
		fn()
	}()
	if err := <-entered; err != nil {
		t.Fatalf("entering netns %s: %v", name, err)
	}
}

// netRemoveMasqChainAfter removes the host's masquerade chain of bridge
// when the test ends if the test is what created it.
func netRemoveMasqChainAfter(t *testing.T, bridge string) {
	t.Helper()
	chain := "MKLT-MASQ-" + bridge
	if netRunErr("iptables", "-w", "-t", "nat", "-S", chain) == nil {
		return
	}
	framework.Cleanup(t, "remove masquerade chain", func(context.Context) error {
		_ = netRunErr("iptables", "-w", "-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment", "minikubelet-masquerade-"+bridge, "-j", chain)
		_ = netRunErr("iptables", "-w", "-t", "nat", "-F", chain)
		return netRunErr("iptables", "-w", "-t", "nat", "-X", chain)
	})
}

func netWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 10s waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func netFileEquals(path string, want []byte) bool {
	got, err := os.ReadFile(path)
	return err == nil && string(got) == string(want)
}

// netRun runs a command and fails the test with its output if it fails.
func netRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// netRunIn runs a command inside a named network namespace.
func netRunIn(t *testing.T, ns, name string, args ...string) string {
	t.Helper()
	return netRun(t, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}

func netRunErr(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
