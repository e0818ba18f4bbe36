package framework

import (
	"slices"
	"strings"
	"testing"
)

func TestClusterEnvFromValues(t *testing.T) {
	full := map[string]string{
		"KUBECONFIG":      "/c/admin.kubeconfig",
		"NODE_KUBECONFIG": "/c/bootstrap.kubeconfig",
		"NODE_CERT_TOOL":  "/r/test/testbed/cluster.sh node-kubeconfig",
		"APISERVER_URL":   "https://127.0.0.1:16443",
		"CLUSTER_CA":      "/c/pki/ca.crt",
		"CLUSTER_CIDR":    "10.244.0.0/16",
	}
	env, err := clusterEnvFromValues(full)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/r/test/testbed/cluster.sh", "node-kubeconfig"}; !slices.Equal(env.NodeCertTool, want) {
		t.Errorf("NodeCertTool = %q, want %q: the command and its first argument", env.NodeCertTool, want)
	}
	if env.Kubeconfig != full["KUBECONFIG"] || env.NodeKubeconfig != full["NODE_KUBECONFIG"] {
		t.Errorf("kubeconfigs = %q, %q", env.Kubeconfig, env.NodeKubeconfig)
	}

	for _, key := range []string{"KUBECONFIG", "NODE_KUBECONFIG", "NODE_CERT_TOOL", "APISERVER_URL", "CLUSTER_CA", "CLUSTER_CIDR"} {
		values := map[string]string{}
		for k, v := range full {
			if k != key {
				values[k] = v
			}
		}
		if _, err := clusterEnvFromValues(values); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("without %s: err = %v, want one naming it", key, err)
		}
	}
}
