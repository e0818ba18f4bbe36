package node

import (
	"net"
)

// Spec is what the agent says of its node that does not change while it
// runs: its name, addresses, versions and endpoint.
type Spec struct {
	// Name is the Node's name (--node-name). It is also the
	// kubernetes.io/hostname label and the Hostname address, as the
	// kubelet's --hostname-override makes them, so nodes sharing a host
	// (the e2e tests) stay distinct in topology spreading.
	Name string
	// InternalIP is the node's address for the cluster (--node-ip, or the
	// IP of the interface holding the default route).
	InternalIP net.IP
	// KubeletPort is the agent's API port (daemonEndpoints.kubeletEndpoint);
	// 0 when the API listens on a unix socket.
	KubeletPort int32
	// MaxPods is the pod capacity (--max-pods).
	MaxPods int
	// RuntimeVersion is "NAME://VERSION" from the CRI Version call, e.g.
	// "containerd://1.6.20".
	RuntimeVersion string
	// KubeletVersion is minikubelet's version in the Kubernetes form,
	// e.g. "v1.37.2+minikubelet.devel".
	KubeletVersion string
}

// Observations are what the host says of itself at one moment. A fact
// that could not be read is left zero and shown empty, never guessed.
type Observations struct {
	KernelVersion string // uname -r
	OSImage       string // PRETTY_NAME of /etc/os-release
	MachineID     string // /etc/machine-id
	BootID        string // /proc/sys/kernel/random/boot_id
	SystemUUID    string // /sys/class/dmi/id/product_uuid (root only)

	CPUs int
	// MemoryTotal and MemoryAvailable are /proc/meminfo's MemTotal and
	// MemAvailable, in bytes.
	MemoryTotal, MemoryAvailable int64
	// The file system behind the agent's root directory (the kubelet's
	// nodefs): sizes in bytes; Inodes is 0 when it does not count them.
	FSCapacity, FSAvailable uint64
	Inodes, InodesFree      uint64
	// PIDMax is the lower of kernel.pid_max and kernel.threads-max;
	// Processes is how many run now. Zero when unread.
	PIDMax, Processes int64
}

// Readiness is what the agent's own checks say: nil means ready.
type Readiness struct {
	// Runtime is the CRI runtime's RuntimeReady (or why it cannot be asked).
	Runtime error
	// Network is the pod network's readiness: the runtime's NetworkReady
	// and the CNI plugins the agent configured.
	Network error
}
