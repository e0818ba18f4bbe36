package translate

import (
	v1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// NamespaceOptions says which namespaces the pod's containers share with
// each other (POD), keep to themselves (CONTAINER) or share with the node
// (NODE). hostPID wins over shareProcessNamespace, as in the kubelet.
func NamespaceOptions(pod *v1.Pod) *runtimeapi.NamespaceOption {
	opts := &runtimeapi.NamespaceOption{
		Network: runtimeapi.NamespaceMode_POD,
		Pid:     runtimeapi.NamespaceMode_CONTAINER,
		Ipc:     runtimeapi.NamespaceMode_POD,
	}
	if pod.Spec.HostNetwork {
		opts.Network = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace {
		opts.Pid = runtimeapi.NamespaceMode_POD
	}
	if pod.Spec.HostPID {
		opts.Pid = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostIPC {
		opts.Ipc = runtimeapi.NamespaceMode_NODE
	}
	return opts
}

// targetProcessNamespace puts a container into the process namespace of
// the container targetID (CRI's TARGET mode), as the kubelet does for an
// ephemeral container's targetContainerName. A pod sharing one process
// namespace (shareProcessNamespace, hostPID) already shows every process,
// so it keeps its mode, as under the kubelet.
func targetProcessNamespace(sc *runtimeapi.LinuxContainerSecurityContext, targetID string) *runtimeapi.LinuxContainerSecurityContext {
	if targetID == "" || sc.NamespaceOptions.Pid != runtimeapi.NamespaceMode_CONTAINER {
		return sc
	}
	sc.NamespaceOptions.Pid = runtimeapi.NamespaceMode_TARGET
	sc.NamespaceOptions.TargetId = targetID
	return sc
}
