package framework

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ClusterEnvFile is the control plane's env file, relative to the
// repository root; `test/testbed/cluster.sh up` (make testbed-up CLUSTER=1)
// writes it and `cluster.sh down` removes it.
const ClusterEnvFile = "test/testbed/env.cluster"

// ClusterVar names the environment variable that says the control plane was
// asked for (make e2e CLUSTER=1): then, under CI=true, a missing env.cluster
// fails the test instead of skipping it.
const ClusterVar = "MINIKUBELET_E2E_CLUSTER"

// ClusterEnv is where the test bed's control plane is, as cluster.sh wrote
// it. Every path is absolute.
type ClusterEnv struct {
	// Kubeconfig is the administrator's kubeconfig (group system:masters).
	Kubeconfig string
	// NodeKubeconfig is what a node joins with: a bootstrap-token
	// kubeconfig, good for asking for a node client certificate by CSR.
	NodeKubeconfig string
	// NodeCertTool is the command, before its NAME and OUT arguments, that
	// writes OUT, a kubeconfig with a client certificate for node NAME.
	NodeCertTool []string
	// BootstrapToken is the token in NodeKubeconfig, "id.secret";
	// BootstrapGroup the extra group its users are in.
	BootstrapToken string
	BootstrapGroup string
	// APIServerURL is kube-apiserver's address, https://127.0.0.1:PORT.
	APIServerURL string
	// CA is the PEM file of the cluster CA: it signed the API server's
	// serving certificate, the clients' certificates and the nodes' CSRs.
	CA string
	// ClusterCIDR is the range nodes' podCIDRs come from; ServiceCIDR the
	// services' cluster IPs.
	ClusterCIDR string
	ServiceCIDR string
	// LogDir holds one log per control-plane component.
	LogDir string
}

// LoadClusterEnv reads test/testbed/env.cluster from the repository root.
// Without it the test is skipped with instructions, unless CI=true and
// MINIKUBELET_E2E_CLUSTER=1 asked for a cluster: then it fails.
func LoadClusterEnv(t testing.TB) *ClusterEnv {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	const up = "sudo test/testbed/cluster.sh up` (or `make testbed-up CLUSTER=1"
	path := filepath.Join(root, ClusterEnvFile)
	values, err := readEnvFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if os.Getenv("CI") == "true" && os.Getenv(ClusterVar) == "1" {
			t.Fatalf("control plane env file %s is missing, with CI=true and %s=1: run `%s` before the e2e tests", path, ClusterVar, up)
		}
		t.Skipf("no control plane: %s is missing; run `%s` to run the cluster tests", path, up)
	}
	if err != nil {
		t.Fatal(err)
	}
	env, err := clusterEnvFromValues(values)
	if err != nil {
		t.Fatalf("%s: %v; rerun `%s` to rewrite it", path, err, up)
	}
	return env
}

// clusterEnvFromValues maps env.cluster's keys onto ClusterEnv and names
// every required key that is missing.
func clusterEnvFromValues(values map[string]string) (*ClusterEnv, error) {
	env := &ClusterEnv{
		Kubeconfig:     values["KUBECONFIG"],
		NodeKubeconfig: values["NODE_KUBECONFIG"],
		NodeCertTool:   strings.Fields(values["NODE_CERT_TOOL"]),
		BootstrapToken: values["BOOTSTRAP_TOKEN"],
		BootstrapGroup: values["BOOTSTRAP_GROUP"],
		APIServerURL:   values["APISERVER_URL"],
		CA:             values["CLUSTER_CA"],
		ClusterCIDR:    values["CLUSTER_CIDR"],
		ServiceCIDR:    values["SERVICE_CIDR"],
		LogDir:         values["CLUSTER_LOG_DIR"],
	}
	var missing []string
	for _, r := range []struct{ key, value string }{
		{"KUBECONFIG", env.Kubeconfig},
		{"NODE_KUBECONFIG", env.NodeKubeconfig},
		{"NODE_CERT_TOOL", values["NODE_CERT_TOOL"]},
		{"APISERVER_URL", env.APIServerURL},
		{"CLUSTER_CA", env.CA},
		{"CLUSTER_CIDR", env.ClusterCIDR},
	} {
		if r.value == "" {
			missing = append(missing, r.key)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	return env, nil
}

// NodeKubeconfigFor writes a kubeconfig with a client certificate for node
// name (CN=system:node:name, O=system:nodes) into the test's temporary
// directory and returns its path: a node that joins without bootstrapping.
func (c *ClusterEnv) NodeKubeconfigFor(t testing.TB, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".kubeconfig")
	args := append(append([]string{}, c.NodeCertTool[1:]...), name, out)
	MustRun(t, c.NodeCertTool[0], args...)
	return out
}
