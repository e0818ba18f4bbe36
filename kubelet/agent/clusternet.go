package agent

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"golang.org/x/sync/errgroup"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/cri"
	"github.com/minikubelet/minikubelet/kubelet/nodenet"
	"github.com/minikubelet/minikubelet/metrics"
)

// waitingForPodCIDR is the network's readiness until the Node has a
// podCIDR: pods wait (NetworkNotReady) and the Node is NotReady.
func waitingForPodCIDR() error {
	return errors.New("the pod network waits for this Node's spec.podCIDR (controller-manager --allocate-node-cidrs, or give --pod-cidr)")
}

// runClusterNetwork starts the pod network on the podCIDR the
// controller-manager gave this Node, then runs it and keeps the routes to
// the other nodes' pods, until ctx ends.
func runClusterNetwork(ctx context.Context, opts Options, c *cluster, runtime *cri.Client, m *metrics.Kubelet, ready *readiness, log *slog.Logger) error {
	if !c.waitClient(ctx) {
		return nil
	}
	cidr := nodenet.WaitPodCIDR(ctx, c.client.Nodes(), opts.NodeName, log.With("component", "cni"))
	if cidr == nil {
		return nil
	}
	opts.PodCIDR = cidr.String()
	network, lock, err := startNetwork(ctx, opts, runtime, m, log)
	if err != nil {
		return err
	}
	defer lock.Release()
	ready.setPlugins(network.PluginsReady)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return network.Run(ctx) })
	g.Go(func() error { keepClusterRoutes(ctx, opts, c, network, log); return nil })
	return g.Wait()
}

// keepClusterRoutes routes the other nodes' pod CIDRs via their
// InternalIPs, as the Nodes change, until ctx ends.
func keepClusterRoutes(ctx context.Context, opts Options, c *cluster, network *cni.Manager, log *slog.Logger) {
	if !c.waitClient(ctx) {
		return
	}
	_, own, err := net.ParseCIDR(opts.PodCIDR)
	if err != nil {
		return // validated at start
	}
	nodenet.KeepRoutes(ctx, nodenet.RoutesConfig{
		NodeName: opts.NodeName, PodCIDR: own, Nodes: c.client.Nodes(), SetPeers: network.SetPeers,
		Logger: log.With("component", "routes"),
	})
}

// waitClient waits until the cluster's client exists (after TLS
// bootstrapping); false when ctx ended first.
func (c *cluster) waitClient(ctx context.Context) bool {
	select {
	case <-c.ready:
		return true
	case <-ctx.Done():
		return false
	}
}
