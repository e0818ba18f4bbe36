package agent

import (
	"context"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/minikubelet/minikubelet/kubelet/apiserver"
	"github.com/minikubelet/minikubelet/kubelet/node"
)

// nodeInfo describes this host for the node API's Node: its capacity, its
// kernel and OS, and the runtime. Facts it cannot read are left empty
// (shown as <unknown>), never guessed.
func nodeInfo(runtimeName, runtimeVersion string, maxPods int, ready func(context.Context) error) apiserver.NodeInfo {
	info := apiserver.NodeInfo{CPUs: runtime.NumCPU(), MaxPods: maxPods, Ready: ready}
	if runtimeName != "" {
		info.ContainerRuntimeVersion = runtimeName + "://" + runtimeVersion
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		info.KernelVersion = unix.ByteSliceToString(uts.Release[:])
	}
	if data, err := os.ReadFile("/etc/os-release"); err == nil {
		info.OSImage = node.OSReleaseField(data, "PRETTY_NAME")
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		info.MemoryBytes = node.MeminfoBytes(data, "MemTotal")
	}
	return info
}
