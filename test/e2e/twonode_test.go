//go:build e2e

package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestTwoNodesPodsTalkAcrossNodesWithoutNAT is issue 5's two-node test:
// two nodes, each a network namespace with its own containerd and agent,
// joined only by a veth pair. The agents' --peer routes and masquerade
// rules make one flat pod network: a pod on node A fetches HTTP from a pod
// on node B by pod IP, and B's app sees A's pod IP, not a node address.
// Every packet stays inside the namespaces the test made: the nodes have
// no route to the host, and the host none to their pods.
func TestTwoNodesPodsTalkAcrossNodesWithoutNAT(t *testing.T) {
	const clusterCIDR = "10.65.0.0/16"
	nodeA := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.65.1.0/24"})
	nodeB := framework.StartNode(t, framework.NodeConfig{PodCIDR: "10.65.2.0/24"})
	// Before the agents: their peer routes need the link's addresses.
	framework.LinkNetns(t, nodeA.Netns, "192.168.65.1/24", nodeB.Netns, "192.168.65.2/24", "nodelink")
	agentA := nodeA.NewAgent(t, "--cluster-cidr", clusterCIDR, "--peer", "192.168.65.2="+nodeB.PodCIDR)
	agentB := nodeB.NewAgent(t, "--cluster-cidr", clusterCIDR, "--peer", "192.168.65.1="+nodeA.PodCIDR)
	agentA.Start()
	agentB.Start()

	client, server := framework.UniqueName("client-a"), framework.UniqueName("server-b")
	agentA.WriteManifest(client+".yaml", kubiaPod(agentA.Env, client, "", ""))
	agentB.WriteManifest(server+".yaml", kubiaPod(agentB.Env, server, "", ""))
	clientIP := agentNetPodIPIn(t, agentA.WaitPod(client, time.Minute, "Running", framework.Running), nodeA.PodCIDR)
	serverIP := agentNetPodIPIn(t, agentB.WaitPod(server, time.Minute, "Running", framework.Running), nodeB.PodCIDR)

	if route := nodeA.Netns.MustRun(t, "ip", "route", "get", serverIP); !strings.Contains(route, "via 192.168.65.2 dev nodelink") {
		t.Fatalf("node A does not route node B's pods over the node link (agent's --peer route missing?):\n%s", route)
	}
	url := "http://" + net.JoinHostPort(serverIP, "8080") + "/"
	fromClient := agentNetNodeContainerID(t, nodeA, client, "kubia")
	if got := nodeA.Crictl(t, "exec", fromClient, "/kubia", "get", url); got != "You've hit "+server+"\n" {
		t.Fatalf("pod on A → pod on B at %s: %q", url, got)
	}
	serverLog := nodeB.Crictl(t, "logs", agentNetNodeContainerID(t, nodeB, server, "kubia"))
	if !strings.Contains(serverLog, "GET / from "+clientIP+":") {
		t.Errorf("B's app did not see A's pod IP %s as the client (masqueraded inside the cluster CIDR?):\n%s", clientIP, serverLog)
	}

	// And back, B → A, through B's route and rules.
	backURL := "http://" + net.JoinHostPort(clientIP, "8080") + "/"
	fromServer := agentNetNodeContainerID(t, nodeB, server, "kubia")
	if got := nodeB.Crictl(t, "exec", fromServer, "/kubia", "get", backURL); got != "You've hit "+client+"\n" {
		t.Errorf("pod on B → pod on A at %s: %q", backURL, got)
	}
}
