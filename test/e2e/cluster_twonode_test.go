//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterTwoNodesShareOneFlatPodNetwork joins two nodes to the test
// bed's control plane, each a network namespace with its own containerd
// and agent, linked to each other by one veth pair and to the host only
// by a relay to kube-apiserver's loopback port. Neither agent is told a
// pod CIDR or a peer: each takes the podCIDR the controller-manager gave
// its Node and routes the other's via its InternalIP. A Deployment of 4
// kubia replicas spreads over both; a pod on one node fetches HTTP from a
// pod on the other by pod IP, and the server sees the client's pod IP
// (no NAT, no overlay).
func TestClusterTwoNodesShareOneFlatPodNetwork(t *testing.T) {
	cluster := framework.LoadClusterEnv(t)
	admin := kubectlWith(t, "--kubeconfig", cluster.Kubeconfig)
	apiserver, err := url.Parse(cluster.APIServerURL)
	if err != nil {
		t.Fatal(err)
	}
	// The pod CIDRs the nodes are made with only name their bridges'
	// first addresses; the agents take the Nodes' podCIDRs instead.
	nodeA := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.66.1.0/24"})
	nodeB := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.66.2.0/24"})
	framework.LinkNetns(t, nodeA.Netns, "192.168.66.1/24", nodeB.Netns, "192.168.66.2/24", "nodelink")
	agents := map[string]*framework.Agent{}
	nodes := map[string]*framework.Node{}
	for ip, node := range map[string]*framework.Node{"192.168.66.1": nodeA, "192.168.66.2": nodeB} {
		node.Netns.ForwardToHost(t, apiserver.Host)
		agent := node.NewAgent(t, "--pod-cidr", "", "--cluster-cidr", cluster.ClusterCIDR, "--node-ip", ip)
		agent.ExtraArgs = append(agent.ExtraArgs, "--kubeconfig", cluster.NodeKubeconfigFor(t, agent.NodeName))
		framework.Cleanup(t, "delete Node "+agent.NodeName, func(context.Context) error {
			_, _, err := admin.run("", "delete", "node", agent.NodeName, "--ignore-not-found", "--wait=false")
			return err
		})
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("agent %s log:\n%s", agent.NodeName, agent.Logs())
			}
		})
		agents[agent.NodeName], nodes[agent.NodeName] = agent, node
		agent.Start()
	}
	podCIDRs := map[string]string{}
	for name := range agents {
		n := waitNode(t, admin, name, 90*time.Second, "Ready with a podCIDR", func(n *v1.Node) bool {
			return nodeCondition(n, v1.NodeReady) == v1.ConditionTrue && n.Spec.PodCIDR != ""
		})
		podCIDRs[name] = n.Spec.PodCIDR
		t.Logf("node %s Ready, podCIDR %s", name, n.Spec.PodCIDR)
	}

	deploy := framework.UniqueName("spread")
	framework.Cleanup(t, "delete deployment "+deploy, func(context.Context) error {
		_, _, err := admin.run("", "delete", "deployment", deploy, "--ignore-not-found", "--wait=false")
		return err
	})
	var names []string
	for name := range agents {
		names = append(names, name)
	}
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + deploy + `}
spec:
  replicas: 4
  selector: {matchLabels: {app: ` + deploy + `}}
  template:
    metadata: {labels: {app: ` + deploy + `}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [` + strings.Join(names, ", ") + `]}]
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: ` + deploy + `}}}
      containers:
      - name: kubia
        image: ` + agents[names[0]].Env.KubiaImage + `
        ports: [{containerPort: 8080}]
`
	created := time.Now()
	createFrom(t, admin, manifest)
	var pods []v1.Pod
	framework.WaitUntil(t, 120*time.Second, "4 replicas Running with pod IPs", func() bool {
		pods = runningPods(t, admin, "app="+deploy)
		return len(pods) == 4
	})
	t.Logf("4 replicas Running on two nodes %s after kubectl create", time.Since(created).Round(time.Millisecond))
	byNode := map[string][]v1.Pod{}
	for _, p := range pods {
		_, cidr, _ := net.ParseCIDR(podCIDRs[p.Spec.NodeName])
		if cidr == nil || !cidr.Contains(net.ParseIP(p.Status.PodIP)) {
			t.Errorf("pod %s on %s has IP %s, outside its Node's podCIDR %s", p.Name, p.Spec.NodeName, p.Status.PodIP, podCIDRs[p.Spec.NodeName])
		}
		byNode[p.Spec.NodeName] = append(byNode[p.Spec.NodeName], p)
	}
	if len(byNode) != 2 {
		t.Fatalf("replicas on %d node(s), want both: %v", len(byNode), byNode)
	}

	// Each way: a pod on one node fetches from a pod on the other.
	for from := range agents {
		var to string
		for name := range agents {
			if name != from {
				to = name
			}
		}
		client, server := byNode[from][0], byNode[to][0]
		if route := nodes[from].Netns.MustRun(t, "ip", "route", "get", server.Status.PodIP); !strings.Contains(route, "dev nodelink") {
			t.Errorf("node %s does not route node %s's pods over the node link:\n%s", from, to, route)
		}
		target := "http://" + net.JoinHostPort(server.Status.PodIP, "8080") + "/"
		id := agentNetNodeContainerID(t, nodes[from], client.Name, "kubia")
		if got := nodes[from].Crictl(t, "exec", id, "/kubia", "get", target); got != "You've hit "+server.Name+"\n" {
			t.Errorf("pod %s on %s → pod %s on %s at %s: %q", client.Name, from, server.Name, to, target, got)
			continue
		}
		serverLog := nodes[to].Crictl(t, "logs", agentNetNodeContainerID(t, nodes[to], server.Name, "kubia"))
		if !strings.Contains(serverLog, "GET / from "+client.Status.PodIP+":") {
			t.Errorf("pod %s did not see the client's pod IP %s (NATed?):\n%s", server.Name, client.Status.PodIP, serverLog)
		}
	}
}

// runningPods are the pods of selector that run with a pod IP.
func runningPods(t *testing.T, admin cli, selector string) []v1.Pod {
	t.Helper()
	var list v1.PodList
	if err := json.Unmarshal([]byte(admin.must("get", "pods", "-l", selector, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var running []v1.Pod
	for _, p := range list.Items {
		if p.Status.Phase == v1.PodRunning && p.Status.PodIP != "" && p.DeletionTimestamp == nil {
			running = append(running, p)
		}
	}
	return running
}
