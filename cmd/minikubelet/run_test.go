package main

import (
	"strings"
	"testing"
)

// `run --kubeconfig` is the cluster's kubeconfig, unlike the other
// commands' --kubeconfig (the agent's own API): it must say so and must
// not default to the agent's admin kubeconfig, which would join nothing.
func TestRunKubeconfigIsTheClusters(t *testing.T) {
	flag := newRunCommand().Flags().Lookup("kubeconfig")
	if flag == nil {
		t.Fatal("run has no --kubeconfig")
	}
	if flag.DefValue != "" {
		t.Errorf("--kubeconfig defaults to %q: standalone must stay the default", flag.DefValue)
	}
	for _, want := range []string{"cluster", "system:node:NAME", "Not ROOT-DIR/admin.kubeconfig"} {
		if !strings.Contains(flag.Usage, want) {
			t.Errorf("--kubeconfig help lacks %q: %s", want, flag.Usage)
		}
	}
}
