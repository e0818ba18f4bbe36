//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/minikubelet/minikubelet/test/e2e/framework"
)

// clusterObjects are what a test made in the cluster, deleted when it ends.
type clusterObjects struct{ deletions [][]string }

// pod adds pods to delete (forced: their node may be gone already).
func (o *clusterObjects) pod(names ...string) {
	for _, name := range names {
		o.deletions = append(o.deletions, []string{"pod", name, "--grace-period=0", "--force"})
	}
}

// add adds kubectl delete arguments, e.g. "deployment", NAME, "--wait=false".
func (o *clusterObjects) add(args ...string) { o.deletions = append(o.deletions, args) }

// joinedAgent prepares (does not start) an agent with agentArgs that joins
// the test bed's control plane with node credentials, and returns it with
// the cluster administrator's kubectl and the list of objects to delete.
// When the test ends those are deleted, then the Node; if the test failed
// the agent's log is shown. Skips the test without test/testbed/env.cluster.
func joinedAgent(t *testing.T, agentArgs ...string) (*framework.Agent, cli, *clusterObjects) {
	t.Helper()
	cluster := framework.LoadClusterEnv(t)
	agent := framework.NewAgent(t, agentArgs...)
	agent.ExtraArgs = append(agent.ExtraArgs, "--kubeconfig", cluster.NodeKubeconfigFor(t, agent.NodeName))
	admin := kubectlWith(t, "--kubeconfig", cluster.Kubeconfig)
	objects := &clusterObjects{}
	framework.Cleanup(t, "delete the test's cluster objects and the Node", func(context.Context) error {
		for _, args := range objects.deletions {
			_, _, _ = admin.run("", append(append([]string{"delete"}, args...), "--ignore-not-found")...)
		}
		_, _, err := admin.run("", "delete", "node", agent.NodeName, "--ignore-not-found", "--wait=false")
		return err
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", agent.Logs())
		}
	})
	return agent, admin, objects
}

// waitNodeReady waits until the Node is Ready in the API server.
func waitNodeReady(t *testing.T, admin cli, name string, timeout time.Duration) {
	t.Helper()
	waitNode(t, admin, name, timeout, "Ready", func(n *v1.Node) bool {
		return nodeCondition(n, v1.NodeReady) == v1.ConditionTrue
	})
}

// createFrom writes manifest (one or more objects) to a file and creates
// them with kubectl as the cluster's administrator.
func createFrom(t *testing.T, admin cli, manifest string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(file, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	admin.must("create", "-f", file)
}
