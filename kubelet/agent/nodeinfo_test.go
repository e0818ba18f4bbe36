package agent

import (
	"testing"

	"github.com/minikubelet/minikubelet/kubelet/node"
)

type observedHost node.Observations

func (h observedHost) Observe() node.Observations { return node.Observations(h) }

// The node API's Node shows what a cluster Node would: the same host
// readings and the runtime named as the kubelet names it.
func TestNodeInfoShowsTheHostAsAClusterNodeWould(t *testing.T) {
	host := observedHost{CPUs: 2, MemoryTotal: 24 << 30, KernelVersion: "6.1.0", OSImage: "Debian GNU/Linux 12 (bookworm)"}
	info := nodeInfo(host, "containerd", "1.6.20", 110, nil)
	if info.CPUs != 2 || info.MemoryBytes != 24<<30 || info.KernelVersion != "6.1.0" || info.OSImage != host.OSImage ||
		info.ContainerRuntimeVersion != "containerd://1.6.20" || info.MaxPods != 110 {
		t.Errorf("nodeInfo = %+v", info)
	}
	if got := nodeInfo(observedHost{}, "", "", 110, nil).ContainerRuntimeVersion; got != "" {
		t.Errorf("no runtime name gave %q, want empty (shown as <unknown>)", got)
	}
}
