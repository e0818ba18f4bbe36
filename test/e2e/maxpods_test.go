//go:build e2e

package e2e

import (
	"encoding/json"
	"net/url"
	"regexp"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// outOfPodsMessage is the start of the kubelet's admission message for a
// node at maxPods 2 running two pods.
const outOfPodsMessage = "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2"

// An agent with --max-pods 2 runs two of three pods; the third waits,
// Pending with the kubelet's OutOfpods, with no sandbox, until a manifest
// is deleted, and then starts by itself.
func TestMaxPodsAdmitsWhenASlotFrees(t *testing.T) {
	agent := framework.NewAgent(t, "--max-pods", "2")
	// Read in one pass at start: the same first sight, so the queue
	// order is by name and the third is the one that waits.
	first, second, third := framework.UniqueName("slot-a"), framework.UniqueName("slot-b"), framework.UniqueName("slot-c")
	for _, name := range []string{first, second, third} {
		agent.WriteManifest(name+".yaml", kubiaPod(agent.Env, name, "", ""))
	}
	agent.Start()

	agent.WaitPod(first, 90*time.Second, "Running", framework.Running)
	agent.WaitPod(second, 90*time.Second, "Running", framework.Running)
	waiting := agent.WaitPod(third, 30*time.Second, "Pending with reason OutOfpods", func(p *v1.Pod) bool {
		return p.Status.Phase == v1.PodPending && p.Status.Reason == "OutOfpods"
	})
	if !regexp.MustCompile("^" + regexp.QuoteMeta(outOfPodsMessage) + ".*maxPods").MatchString(waiting.Status.Message) {
		t.Errorf("message %q: want the kubelet's admission message and the maxPods hint", waiting.Status.Message)
	}
	if sandboxes := podSandboxes(t, third); len(sandboxes) != 0 {
		t.Fatalf("the pod beyond maxPods has sandboxes %v", sandboxes)
	}
	for _, client := range []cli{ownCLIFor(t, agent), kubectlFor(t, agent)} {
		table := client.must("get", "pods")
		if !regexp.MustCompile(`(?m)^` + third + `\s+0/1\s+OutOfpods\s+0\s+\S+$`).MatchString(table) {
			t.Errorf("%s get pods does not show %s as OutOfpods:\n%s", client.binary, third, table)
		}
	}
	if capacity := nodePodCapacity(t, agent); capacity != 2 {
		t.Errorf("the node's pod capacity is %d, want maxPods 2", capacity)
	}

	// Relists and syncs pass: still waiting, the event recorded once.
	time.Sleep(3 * time.Second)
	if n := eventCount(t, agent, third, "OutOfpods"); n != 1 {
		t.Errorf("%d OutOfpods events for %s, want 1", n, third)
	}
	if sandboxes := podSandboxes(t, third); len(sandboxes) != 0 {
		t.Fatalf("the pod beyond maxPods got sandboxes %v while waiting", sandboxes)
	}

	agent.RemoveManifest(first + ".yaml")
	started := agent.WaitPod(third, 60*time.Second, "Running once a slot freed", framework.Running)
	if started.Status.Reason != "" || started.Status.Message != "" {
		t.Errorf("the running pod still says %q: %q", started.Status.Reason, started.Status.Message)
	}
	if p := agent.Pod(second); p == nil || !framework.Running(p) || p.Status.ContainerStatuses[0].RestartCount != 0 {
		t.Errorf("the other pod did not keep running untouched: %+v", p)
	}
	agent.CheckInventory(t, 30*time.Second)
}

// nodePodCapacity reads capacity "pods" of the agent's Node.
func nodePodCapacity(t *testing.T, agent *framework.Agent) int64 {
	t.Helper()
	body, err := agent.GetBody(framework.Context(t, 10*time.Second), "/api/v1/nodes/"+agent.NodeName)
	if err != nil {
		t.Fatalf("GET node: %v", err)
	}
	var node v1.Node
	if err := json.Unmarshal([]byte(body), &node); err != nil {
		t.Fatalf("decoding the node: %v\n%s", err, body)
	}
	return node.Status.Capacity.Pods().Value()
}

// eventCount counts the pod's events with the given reason, from the API.
func eventCount(t *testing.T, agent *framework.Agent, pod, reason string) int {
	t.Helper()
	query := url.Values{"fieldSelector": {"involvedObject.name=" + pod}}
	body, err := agent.GetBody(framework.Context(t, 10*time.Second), "/api/v1/namespaces/default/events?"+query.Encode())
	if err != nil {
		t.Fatalf("listing events: %v", err)
	}
	var list v1.EventList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("decoding events: %v\n%s", err, body)
	}
	n := 0
	for _, e := range list.Items {
		if e.Reason == reason {
			n++
		}
	}
	return n
}
