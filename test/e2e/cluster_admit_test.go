//go:build e2e

package e2e

import (
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
func TestClusterAdmitsByNodeSelector(t *testing.T) {
	agent, admin, objects := joinedAgent(t)
	elsewhere, here, labelled := framework.UniqueName("elsewhere"), framework.UniqueName("here"), framework.UniqueName("labelled")
	objects.pod(elsewhere, here, labelled)
	agent.Start()
	waitNode(t, admin, agent.NodeName, 60*time.Second, "Ready", func(n *v1.Node) bool {
		return nodeCondition(n, v1.NodeReady) == v1.ConditionTrue
	})
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
	waitWide(t, admin, here, agent.NodeName, 90*time.Second)
	if p := getMirror(t, admin, elsewhere); p != nil {
		checkNoSandbox(t, agent, string(p.UID))
	}

	label := "e2e-admit-" + agent.NodeName
	admin.must("label", "node", agent.NodeName, label+"=yes")
	create(labelled, label+": \"yes\"")
	waitWide(t, admin, labelled, agent.NodeName, 60*time.Second)
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
