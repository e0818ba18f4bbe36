package agent

import (
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestCheckRuntimeReady(t *testing.T) {
	status := func(conds ...*runtimeapi.RuntimeCondition) *runtimeapi.StatusResponse {
		return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: conds}}
	}
	if err := checkRuntimeReady(status(&runtimeapi.RuntimeCondition{Type: runtimeapi.RuntimeReady, Status: true})); err != nil {
		t.Errorf("ready runtime: %v", err)
	}
	err := checkRuntimeReady(status(&runtimeapi.RuntimeCondition{Type: runtimeapi.RuntimeReady, Reason: "Starting", Message: "loading plugins"},
		&runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true}))
	if err == nil || !strings.Contains(err.Error(), "RuntimeReady=false reason:Starting message:loading plugins") {
		t.Errorf("not ready runtime: %v", err)
	}
	if err := checkRuntimeReady(status()); err == nil {
		t.Error("a status without RuntimeReady counts as ready")
	}
}

func TestJoinClusterStandaloneWithoutKubeconfig(t *testing.T) {
	c, err := joinCluster(DefaultOptions())
	if c != nil || err != nil {
		t.Errorf("joinCluster without --kubeconfig = %v, %v; want nothing", c, err)
	}
}

func TestJoinClusterNamesTheFlag(t *testing.T) {
	opts := DefaultOptions()
	opts.Kubeconfig, opts.NodeName = "/nonexistent/cluster.kubeconfig", "worker-1"
	_, err := joinCluster(opts)
	if err == nil || !strings.Contains(err.Error(), "kubeconfig (--kubeconfig): loading the cluster's kubeconfig /nonexistent/cluster.kubeconfig") {
		t.Errorf("error %v", err)
	}
}
