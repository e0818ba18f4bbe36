package agent

import (
	"os"

	"github.com/minikubelet/minikubelet/cni"
)

// lockNetwork registers this agent on its pod network before anything of
// the network is touched, so an agent of another runtime on the same
// host-local data (make run's managed containerd beside a test bed
// runtime, by default both on mkbr0 and 10.88.0.0/16) is refused at start
// instead of releasing this one's addresses as leaks.
func lockNetwork(cfg cni.Config, opts Options, endpoint string) (*cni.NetworkLock, error) {
	return cni.LockNetwork(cfg.NetworkDir(), cni.NetworkHolder{
		Node: opts.NodeName, PID: os.Getpid(), RootDir: opts.RootDir, RuntimeEndpoint: endpoint,
		Bridge: opts.BridgeName, PodCIDR: opts.PodCIDR,
	})
}
