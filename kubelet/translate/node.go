package translate

import (
	"path"
	"strconv"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Node is what the translation knows of the node and the agent.
type Node struct {
	// Name is the node's name: spec.nodeName for the downward API, and the
	// value of NodeLabel, which scopes what this agent owns.
	Name string
	// PodLogRoot holds every pod's log directory (/var/log/pods).
	PodLogRoot string
	// CgroupParent is the parent of every pod's cgroup, e.g.
	// "/minikubelet"; empty leaves cgroup placement to the runtime.
	CgroupParent string
	// RuntimeName names the runtime ("containerd", "cri-o"), whose quirks
	// some settings allow for.
	RuntimeName string
	// HostDNS is the node's resolver settings (see ParseResolvConf), which
	// a pod starts from unless its DNS policy is None; nil means none.
	HostDNS *runtimeapi.DNSConfig
	// HostIPs are the node's IPs, primary first: status.hostIP(s) for
	// the downward API; empty when the agent does not know them.
	HostIPs []string
	// Allocatable is what the node offers pods: a container's limit, for
	// the downward API, when it sets none.
	Allocatable v1.ResourceList
}

// PodLogDir is the pod's log directory, in the kubelet's layout:
// <PodLogRoot>/<namespace>_<name>_<uid>.
func PodLogDir(node Node, pod *v1.Pod) string {
	return path.Join(node.PodLogRoot, pod.Namespace+"_"+pod.Name+"_"+string(pod.UID))
}

// ContainerLogPath is a container instance's log file relative to its
// pod's log directory: <container>/<restartCount>.log.
func ContainerLogPath(container string, restartCount int) string {
	return path.Join(container, strconv.Itoa(restartCount)+".log")
}

// PodCgroupParent is the pod-level cgroup the runtime nests the pod's
// containers in, or "" when the node leaves placement to the runtime.
func PodCgroupParent(node Node, uid types.UID) string {
	if node.CgroupParent == "" {
		return ""
	}
	return path.Join(node.CgroupParent, "pod"+string(uid))
}
