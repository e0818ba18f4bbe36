package agent

import (
	"context"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/node"
)

// nodeInfo describes this host for the node API's Node: its capacity, its
// kernel and OS, and the runtime. It reads the host as a cluster Node does
// (node.Host). Facts it cannot read are left empty (shown as <unknown>),
// never guessed.
func nodeInfo(host node.Host, runtimeName, runtimeVersion string, maxPods int, ready func(context.Context) error) apiserver.NodeInfo {
	obs := host.Observe()
	return apiserver.NodeInfo{
		CPUs: obs.CPUs, MemoryBytes: obs.MemoryTotal, MaxPods: maxPods, Ready: ready,
		KernelVersion: obs.KernelVersion, OSImage: obs.OSImage,
		ContainerRuntimeVersion: containerRuntimeVersion(runtimeName, runtimeVersion),
	}
}

// containerRuntimeVersion is how a Node names its runtime, as the kubelet
// does: "containerd://1.6.20"; empty when the runtime gave no name.
func containerRuntimeVersion(name, version string) string {
	if name == "" {
		return ""
	}
	return name + "://" + version
}
