package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The agent's resident memory includes the pages of its binary it touches,
// and client-go's generated clientset registers every Kubernetes API group
// at init: linking it cost every agent 17 MiB of RSS (kubelet/kubeapi says
// more). Cluster mode uses kubeapi's three group clients instead.
func TestAgentDoesNotLinkClientGoClientset(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, heavy := range []string{"k8s.io/client-go/kubernetes", "k8s.io/client-go/kubernetes/scheme"} {
		if slices.Contains(deps, heavy) {
			t.Errorf("the agent links %s; use kubelet/kubeapi's clients (go mod why -m, or go list -deps, shows who imports it)", heavy)
		}
	}
}
