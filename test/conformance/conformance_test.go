//go:build conformance

package conformance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// The default selection: the node conformance tests, as issue #20 and
// upstream's node e2e define them. CONFORMANCE_FOCUS / CONFORMANCE_SKIP
// replace these.
const (
	defaultFocus = `\[sig-node\].*\[Conformance\]|\[NodeConformance\]`
	// Disruptive tests restart nodes or their components and Flaky ones
	// are upstream's known flakes, as its conformance image skips them.
	// Feature and FeatureGate tests (and Alpha/Beta ones) need features
	// or gates the cluster may not have on, as upstream's node e2e jobs
	// skip them; no sig-node [Conformance] test carries one.
	defaultSkip = `\[Disruptive\]|\[Flaky\]|\[Feature:[^]]+\]|\[FeatureGate:[^]]+\]|\[Alpha\]|\[Beta\]`
)

// TestConformance joins two minikubelet nodes to the test bed's control
// plane and runs the upstream e2e suite (built by `test/testbed/build.sh
// conformance`) against the cluster. Each node is a network namespace with
// its own containerd (1.6, or the containerd 2 build in
// CONFORMANCE_CONTAINERD_BIN) and agent, on one bridge with the host, so nodes
// reach each other's pods by the routes the agents learn from the Nodes,
// and kube-apiserver on the host reaches each node's endpoint (logs, exec,
// port-forward) and, by a host route, its pods (the API server's pod
// proxy). The nodes reach kube-apiserver and the image registry on the
// host's loopback by relays. The result is ginkgo's JUnit and JSON
// reports, and a summary table, under CONFORMANCE_RESULTS.
func TestConformance(t *testing.T) {
	suiteBin := requireEnv(t, "CONFORMANCE_SUITE")
	// Checked before the nodes are set up, which a typo would waste.
	suiteTimeout, err := time.ParseDuration(envOr("CONFORMANCE_TIMEOUT", "3h"))
	if err != nil || suiteTimeout <= 0 {
		t.Fatalf("TIMEOUT %q: give a Go duration such as 90m or 3h", os.Getenv("CONFORMANCE_TIMEOUT"))
	}
	resultsDir := requireEnv(t, "CONFORMANCE_RESULTS")
	cluster := framework.LoadClusterEnv(t)
	env := framework.LoadEnv(t)
	apiserver, err := url.Parse(cluster.APIServerURL)
	if err != nil {
		t.Fatal(err)
	}
	admin := adminClient(t, cluster.Kubeconfig)
	// Caught from here on, an interrupt (Ctrl-C, a CI timeout's SIGTERM)
	// no longer kills the process before the cleanups: setup stops at its
	// next step and tears down what it made, and the suite is told to
	// stop (runSuite).
	interrupted, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	t.Cleanup(stopSignals)
	// Only the first signal is caught: a second one (a teardown that
	// hangs) kills the process as usual.
	context.AfterFunc(interrupted, stopSignals)
	checkInterrupt := func() {
		t.Helper()
		if interrupted.Err() != nil {
			t.Fatal("interrupted during the test bed's setup; tearing down what was set up")
		}
	}

	removeStaleNodes(t, admin)

	bridge := "mkcf" + framework.RandomHex(2)
	framework.MustRun(t, "ip", "link", "add", bridge, "type", "bridge")
	framework.Cleanup(t, "delete bridge "+bridge, func(context.Context) error { return framework.RunErr("ip", "link", "del", bridge) })
	framework.MustRun(t, "ip", "addr", "add", "192.168.77.1/24", "dev", bridge)
	framework.MustRun(t, "ip", "link", "set", bridge, "up")

	nodeIPs := map[string]string{}
	// Registered before the nodes, so it runs after their agents are
	// torn down: a running agent registers its Node again.
	framework.Cleanup(t, "delete the Nodes", func(ctx context.Context) error {
		var errs []error
		for name := range nodeIPs {
			if err := admin.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	})
	// CONFORMANCE_CONTAINERD_BIN (run.sh's RUNTIME=containerd2) runs the
	// nodes on the test bed's containerd 2 build instead of 1.6.
	containerdBin := os.Getenv("CONFORMANCE_CONTAINERD_BIN")
	nodeRuntime := env.Runtime
	for i := range 2 {
		checkInterrupt()
		node := framework.StartNode(t, framework.NodeConfig{PodCIDR: fmt.Sprintf("10.67.%d.0/24", i+1), ContainerdBinDir: containerdBin})
		nodeRuntime = node.Env().Runtime
		ip := fmt.Sprintf("192.168.77.%d", i+2)
		hostIf := fmt.Sprintf("%s-%d", bridge, i)
		framework.LinkHost(t, node.Netns, hostIf, "", "eth0", ip+"/24")
		framework.MustRun(t, "ip", "link", "set", hostIf, "master", bridge)
		node.Netns.ForwardToHost(t, apiserver.Host)
		node.Netns.ForwardToHostAt(t, nodeRegistry, env.Registry)
		agent := node.NewAgent(t, "--pod-cidr", "", "--cluster-cidr", cluster.ClusterCIDR, "--node-ip", ip)
		// The kubelet's port: the suite reaches nodes' endpoints through
		// the API server's node proxy at 10250 whatever the Node says.
		agent.KubeletPort = "10250"
		agent.ExtraArgs = append(agent.ExtraArgs, "--kubeconfig", cluster.NodeKubeconfigFor(t, agent.NodeName))
		t.Cleanup(func() {
			_ = os.WriteFile(filepath.Join(resultsDir, agent.NodeName+".log"), []byte(agent.Logs()), 0o644)
		})
		agent.Start()
		nodeIPs[agent.NodeName] = ip
	}
	for name, ip := range nodeIPs {
		checkInterrupt()
		node := waitNodeReady(t, admin, name)
		// kube-apiserver proxies to pods (pods/proxy, which tests use) from
		// the host, which runs no agent: a route to each node's pods.
		framework.MustRun(t, "ip", "route", "add", node.Spec.PodCIDR, "via", ip, "dev", bridge)
		t.Logf("node %s Ready at %s, podCIDR %s", name, ip, node.Spec.PodCIDR)
	}

	repoList := filepath.Join(t.TempDir(), "repo-list.yaml")
	if err := os.WriteFile(repoList, []byte(RepoList(nodeRegistry)), 0o644); err != nil {
		t.Fatal(err)
	}
	checkInterrupt()
	summary := runSuite(t, interrupted, suiteTimeout, suiteBin, resultsDir, cluster.Kubeconfig, repoList)
	header := fmt.Sprintf("# Conformance run, %s\n\nkube-apiserver %s, 2 minikubelet nodes on %s; focus `%s`, skip `%s`.",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), "v1.37.2", nodeRuntime, focus(), skip())
	if err := WriteMarkdown(filepath.Join(resultsDir, "summary.md"), summary, header); err != nil {
		t.Error(err)
	}
	t.Log(summary.Line())
	fmt.Println(summary.Line())
	if summary.Failed > 0 || summary.Selected == 0 {
		t.Errorf("%s; see %s", summary.Line(), filepath.Join(resultsDir, "summary.md"))
	}
}

// runSuite runs e2e.test against the cluster with the selection, its output
// to e2e.log in resultsDir, and reads the report it wrote there.
func runSuite(t *testing.T, interrupted context.Context, suiteTimeout time.Duration, suiteBin, resultsDir, kubeconfig, repoList string) Summary {
	t.Helper()
	log, err := os.Create(filepath.Join(resultsDir, "e2e.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	// ginkgo's CLI runs e2e.test in CONFORMANCE_PROCS processes (specs
	// marked Serial run alone, at the end) and merges their reports.
	ginkgoArgs := []string{
		"run",
		"--procs=" + envOr("CONFORMANCE_PROCS", "4"),
		"--focus=" + focus(),
		"--skip=" + skip(),
		"--no-color",
		"-v",
		"--timeout=" + suiteTimeout.String(),
		"--output-dir=" + resultsDir,
		"--json-report=report.json",
		"--junit-report=junit.xml",
		suiteBin,
		"--",
	}
	suiteArgs := []string{
		"--kubeconfig=" + kubeconfig,
		"--provider=skeleton",
		// No kube-system pods (no DNS, no kube-proxy) run in this cluster.
		"--minStartupPods=0",
		"--disable-log-dump",
	}
	// An interrupt stops the suite, not this test: ginkgo aborts its specs
	// and writes its report, and the nodes are torn down as after any run.
	// go test runs without a timeout of its own (run.sh), so a suite that
	// overruns its TIMEOUT by a quarter of an hour is stopped the same way.
	ctx, stop := context.WithTimeout(interrupted, suiteTimeout+15*time.Minute)
	defer stop()
	cmd := exec.CommandContext(ctx, filepath.Join(filepath.Dir(suiteBin), "ginkgo"), append(ginkgoArgs, suiteArgs...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 2 * time.Minute
	// ginkgo and its e2e.test processes get a process group of their own,
	// so what ginkgo leaves behind when it is killed after WaitDelay can
	// be swept (below) instead of running on against the torn-down nodes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "KUBE_TEST_REPO_LIST="+repoList)
	cmd.Stdout, cmd.Stderr = log, log
	started := time.Now()
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	t.Logf("e2e.test ran %s (exit: %v); its output is in %s", time.Since(started).Round(time.Second), err, log.Name())
	summary, readErr := ReadSummary(filepath.Join(resultsDir, "report.json"))
	if readErr != nil {
		t.Fatalf("%v (e2e.test: %v)", readErr, err)
	}
	return summary
}

// nodeRegistry is where a node reaches the test bed's registry: not at
// its host address, 127.0.0.1:5000, which the suite's private-registry
// tests take in the node's network namespace for agnhost's
// fake-registry-server (a host-network pod; pods pull localhost:5000/...).
const nodeRegistry = "127.0.0.1:15000"

// RepoList maps the suite's image registries to the test bed's registry,
// in the format of KUBE_TEST_REPO_LIST: agnhost and busybox under
// e2e-test-images/, pause at the root (test/images/build -suite-agnhost
// puts them there).
func RepoList(registry string) string {
	return fmt.Sprintf("promoterE2eRegistry: %[1]s/e2e-test-images\ngcRegistry: %[1]s\ngcEtcdRegistry: %[1]s\ndockerLibraryRegistry: %[1]s/library\nbuildImageRegistry: %[1]s/build-image\nsigStorageRegistry: %[1]s/sig-storage\n", registry)
}

// removeStaleNodes deletes the Nodes earlier tests left in the test bed's
// cluster, which holds test nodes only: the suite starts once every Node
// is schedulable (it would wait half an hour for a dead one), and would
// schedule its pods on one that still looks Ready for its first 40 s.
func removeStaleNodes(t *testing.T, admin kubernetes.Interface) {
	t.Helper()
	nodes, err := admin.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		t.Logf("deleting Node %s, left by an earlier test", n.Name)
		if err := admin.CoreV1().Nodes().Delete(context.Background(), n.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func waitNodeReady(t *testing.T, admin kubernetes.Interface, name string) *v1.Node {
	t.Helper()
	var node *v1.Node
	framework.WaitUntil(t, 120*time.Second, "node "+name+" Ready with a podCIDR", func() bool {
		n, err := admin.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil || n.Spec.PodCIDR == "" {
			return false
		}
		for _, c := range n.Status.Conditions {
			if c.Type == v1.NodeReady && c.Status == v1.ConditionTrue {
				node = n
				return net.ParseIP(strings.Split(n.Spec.PodCIDR, "/")[0]) != nil
			}
		}
		return false
	})
	return node
}

func adminClient(t *testing.T, kubeconfig string) kubernetes.Interface {
	t.Helper()
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func focus() string { return envOr("CONFORMANCE_FOCUS", defaultFocus) }
func skip() string  { return envOr("CONFORMANCE_SKIP", defaultSkip) }

func requireEnv(t *testing.T, key string) string {
	t.Helper()
	value := os.Getenv(key)
	if value == "" {
		t.Fatalf("%s is not set: run this through `make conformance` (test/conformance/run.sh)", key)
	}
	return value
}

func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}
