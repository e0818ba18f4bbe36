//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// TestClusterAdmitsByNodeSelector binds pods to the node directly
// (spec.nodeName, past the scheduler) and checks the node's admission as
// `kubectl get pod` shows it: a nodeSelector naming another host is
// Failed with the kubelet's reason NodeAffinity and message, and nothing
// of it runs; one naming this host runs; one on a label an operator has
// just put on the Node (kubectl label node) runs too, so the node judges
// by its Node as the API server has it, not only the labels it registers.
// The refusal is a Warning event too, as the kubelet records one. Of two
// pods asking for one hostPort, the second is Failed with NodePorts.
func TestClusterAdmitsByNodeSelectorAndHostPort(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	elsewhere, here, labelled := framework.UniqueName("elsewhere"), framework.UniqueName("here"), framework.UniqueName("labelled")
	portFirst, portSecond := framework.UniqueName("port-first"), framework.UniqueName("port-second")
	objects.pod(elsewhere, here, labelled, portFirst, portSecond)
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	create := func(name, selector string) {
		if _, errOut, err := admin.run(boundPod(name, agent.NodeName, agent.Env.KubiaImage, selector), "create", "-f", "-"); err != nil {
			t.Fatalf("kubectl create pod %s: %v\n%s", name, err, errOut)
		}
	}
	create(elsewhere, "kubernetes.io/hostname: not-"+agent.NodeName)
	create(here, "kubernetes.io/hostname: "+agent.NodeName)

	var shown string
	framework.WaitUntil(t, 30*time.Second, "pod with a foreign nodeSelector Failed", func() bool {
		shown = admin.must("get", "pod", elsewhere, "-o", "jsonpath={.status.phase}/{.status.reason}/{.status.message}")
		return strings.HasPrefix(shown, "Failed/")
	})
	if want := "Failed/NodeAffinity/Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"; shown != want {
		t.Errorf("kubectl get pod %s shows %q, want %q", elsewhere, shown, want)
	}
	t.Logf("pod with a foreign nodeSelector: %s", shown)
	framework.WaitUntil(t, 30*time.Second, "a Warning NodeAffinity event on the refused pod", func() bool {
		for _, e := range listEvents(t, admin, "involvedObject.name="+elsewhere) {
			if e.Type == v1.EventTypeWarning && e.Reason == "NodeAffinity" && e.Source.Host == agent.NodeName {
				return true
			}
		}
		return false
	})
	waitWide(t, admin, here, agent.NodeName, 90*time.Second)
	if p := getMirror(t, admin, elsewhere); p != nil {
		checkNoSandbox(t, agent, string(p.UID))
	}

	label := "e2e-admit-" + agent.NodeName
	admin.must("label", "node", agent.NodeName, label+"=yes")
	create(labelled, label+": \"yes\"")
	waitWide(t, admin, labelled, agent.NodeName, 60*time.Second)

	// A host port unlikely to be in use: the node's own pods are what count.
	hostPort := fmt.Sprint(40000 + time.Now().UnixNano()%10000)
	withPort := func(name string) string {
		return boundPod(name, agent.NodeName, agent.Env.KubiaImage, "kubernetes.io/hostname: "+agent.NodeName) +
			"    ports:\n    - {containerPort: 8080, hostPort: " + hostPort + "}\n"
	}
	for _, name := range []string{portFirst, portSecond} {
		if _, errOut, err := admin.run(withPort(name), "create", "-f", "-"); err != nil {
			t.Fatalf("kubectl create pod %s: %v\n%s", name, err, errOut)
		}
		if name == portFirst {
			waitWide(t, admin, portFirst, agent.NodeName, 60*time.Second)
		}
	}
	framework.WaitUntil(t, 30*time.Second, "the second pod on a taken hostPort Failed", func() bool {
		shown = admin.must("get", "pod", portSecond, "-o", "jsonpath={.status.phase}/{.status.reason}/{.status.message}")
		return strings.HasPrefix(shown, "Failed/")
	})
	if want := "Failed/NodePorts/Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports"; shown != want {
		t.Errorf("kubectl get pod %s shows %q, want %q", portSecond, shown, want)
	}
	t.Logf("second pod on hostPort %s: %s", hostPort, shown)
}

// boundPod is a kubia pod bound to node by spec.nodeName, with the
// nodeSelector line selector.
func boundPod(name, node, image, selector string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  automountServiceAccountToken: false
  nodeName: %s
  nodeSelector:
    %s
  containers:
  - name: kubia
    image: %s
`, name, node, selector, image)
}

// TestClusterPostsEvents: the events the node records reach the API
// server as the kubelet's do. A pod the scheduler binds here shows, in
// `kubectl get events --field-selector involvedObject.name=POD`, the
// scheduler's Scheduled and then this node's Pulling, Pulled, Created and
// Started, each from source kubelet on the node, against the pod's UID
// (the container's as fieldPath); a static pod's show under its mirror
// pod's name; the Node shows Starting and NodeReady.
func TestClusterPostsEvents(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	name, mirrorName := framework.UniqueName("evented"), "web-"+agent.NodeName
	objects.pod(name, mirrorName)
	objects.add("events", "--field-selector", "involvedObject.name="+name)
	objects.add("events", "--field-selector", "involvedObject.name="+mirrorName)
	agent.WriteManifest("web.yaml", apiKubiaManifest("web", agent.Env.KubiaImage))
	agent.Start()
	waitNodeReady(t, admin, agent.NodeName, 60*time.Second)
	// imagePullPolicy Always: the node pulls, so it has Pulling to tell.
	manifest := strings.Replace(scheduledPod(name, agent.NodeName, agent.Env.KubiaImage, ""),
		"    image: ", "    imagePullPolicy: Always\n    image: ", 1)
	if _, errOut, err := admin.run(manifest, "create", "-f", "-"); err != nil {
		t.Fatalf("kubectl create pod %s: %v\n%s", name, err, errOut)
	}
	pod := waitWide(t, admin, name, agent.NodeName, 90*time.Second)

	want := []string{"Scheduled", "Pulling", "Pulled", "Created", "Started"}
	var events []v1.Event
	framework.WaitUntil(t, 30*time.Second, "the pod's events in the API server", func() bool {
		events = listEvents(t, admin, "involvedObject.name="+name)
		return strings.Contains(strings.Join(reasonsOf(events, "kubelet"), ","), "Started")
	})
	// The node may tell more (MissingClusterDNS: the test bed has no
	// cluster DNS, as the kubelet warns); these must come in this order.
	var got, container []string
	for _, e := range events {
		got = append(got, e.Reason)
		if e.Source.Component != "kubelet" {
			continue
		}
		if e.Source.Host != agent.NodeName || e.ReportingController != "kubelet" || e.ReportingInstance != agent.NodeName ||
			e.InvolvedObject.UID != pod.UID || e.InvolvedObject.Kind != "Pod" || e.Count != 1 {
			t.Errorf("event %s: source %+v, reporting %s/%s, involvedObject %+v, count %d: want kubelet on %s, about pod UID %s, once",
				e.Reason, e.Source, e.ReportingController, e.ReportingInstance, e.InvolvedObject, e.Count, agent.NodeName, pod.UID)
		}
		if e.InvolvedObject.FieldPath == "spec.containers{kubia}" {
			container = append(container, e.Reason)
		}
	}
	t.Logf("kubectl get events for %s: %v", name, got)
	if len(got) == 0 || got[0] != want[0] || strings.Join(container, ",") != strings.Join(want[1:], ",") {
		t.Errorf("events %v (of container kubia %v), want %s first, then %v about container kubia", got, container, want[0], want[1:])
	}
	out := admin.must("get", "events", "--field-selector", "involvedObject.name="+name)
	t.Logf("kubectl get events:\n%s", out)

	framework.WaitUntil(t, 30*time.Second, "the static pod's Started under its mirror pod's name", func() bool {
		return strings.Contains(strings.Join(reasonsOf(listEvents(t, admin, "involvedObject.name="+mirrorName), "kubelet"), ","), "Started")
	})

	node := listEvents(t, admin, "involvedObject.kind=Node,involvedObject.name="+agent.NodeName)
	if r := reasonsOf(node, "kubelet"); !strings.Contains(strings.Join(r, ","), "Starting") || !strings.Contains(strings.Join(r, ","), "NodeReady") {
		t.Errorf("the Node's events from the node: %v, want Starting and NodeReady", r)
	}
}

// listEvents lists the events the field selector picks, oldest first.
func listEvents(t *testing.T, admin cli, selector string) []v1.Event {
	t.Helper()
	var list v1.EventList
	out := admin.must("get", "events", "-A", "--field-selector", selector, "--sort-by=.metadata.creationTimestamp", "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// reasonsOf is the reasons of the events from component.
func reasonsOf(events []v1.Event, component string) []string {
	var out []string
	for _, e := range events {
		if e.Source.Component == component || e.ReportingController == component {
			out = append(out, e.Reason)
		}
	}
	return out
}
