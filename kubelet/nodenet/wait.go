package nodenet

import (
	"context"
	"log/slog"
	"net"
	"time"

	v1 "k8s.io/api/core/v1"
)

// pollInterval is how often WaitPodCIDR reads the Node: the
// controller-manager assigns a CIDR within a second of registration.
const pollInterval = 2 * time.Second

// callTimeout bounds each API call.
const callTimeout = 10 * time.Second

// NodeGetter reads this node's Node, which the Node authorizer always
// allows.
type NodeGetter interface {
	Get(ctx context.Context, name string) (*v1.Node, error)
}

// WaitPodCIDR returns the pod CIDR of Node name once it has one; nil when
// ctx ends first. Until then it says once what it waits for, and the
// node stays NotReady (its network is not ready), as under the kubelet
// with a CNI that needs the Node's podCIDR.
func WaitPodCIDR(ctx context.Context, nodes NodeGetter, name string, log *slog.Logger) *net.IPNet {
	waited := false
	for {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		n, err := nodes.Get(callCtx, name)
		cancel()
		if err == nil {
			if cidr := OwnPodCIDR(n); cidr != nil {
				return cidr
			}
		}
		if !waited {
			waited = true
			log.Info("waiting for this Node's spec.podCIDR before starting the pod network "+
				"(the controller-manager assigns it with --allocate-node-cidrs; or give --pod-cidr)", "node", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pollInterval):
		}
	}
}
