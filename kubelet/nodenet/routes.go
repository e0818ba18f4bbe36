package nodenet

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/go-logr/logr"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/minikubelet/minikubelet/cni"
	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
)

// NodeWatcher lists and watches every Node.
type NodeWatcher interface {
	List(ctx context.Context) (*v1.NodeList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// RoutesConfig is what KeepRoutes needs.
type RoutesConfig struct {
	NodeName string
	// PodCIDR is this node's: peers of its IP family are routed.
	PodCIDR *net.IPNet
	Nodes   NodeWatcher
	// SetPeers installs the routes (cni.Manager.SetPeers).
	SetPeers func(ctx context.Context, peers []cni.Peer) error
	Logger   *slog.Logger
}

// KeepRoutes watches the Nodes through client-go's informer and hands
// SetPeers the other nodes whenever they change, until ctx ends. Reading
// every Node needs RBAC beyond the Node authorizer's: when refused, it
// says so once, with the fix, and keeps retrying (the informer backs off).
func KeepRoutes(ctx context.Context, cfg RoutesConfig) {
	log := cfg.Logger
	var refusedOnce sync.Once
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, _ metav1.ListOptions) (runtime.Object, error) {
			callCtx, cancel := context.WithTimeout(ctx, callTimeout)
			defer cancel()
			list, err := cfg.Nodes.List(callCtx)
			if apierrors.IsForbidden(err) {
				refusedOnce.Do(func() {
					log.Warn("this node may not list the cluster's Nodes, so it keeps no routes to other nodes' pods; "+
						"bind the group system:nodes to a ClusterRole allowing get, list and watch on nodes (see the README)", "err", err)
				})
			}
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return cfg.Nodes.Watch(ctx, opts)
		},
	}
	informer := cache.NewSharedIndexInformer(kubeapi.ListThenWatch{ListWatch: lw}, &v1.Node{}, 0, cache.Indexers{})
	var mu sync.Mutex
	var last []cni.Peer
	update := func() {
		var nodes []*v1.Node
		for _, obj := range informer.GetStore().List() {
			if n, ok := obj.(*v1.Node); ok {
				nodes = append(nodes, n)
			}
		}
		peers := Peers(cfg.NodeName, cfg.PodCIDR, nodes)
		mu.Lock()
		defer mu.Unlock()
		if slices.EqualFunc(peers, last, samePeer) {
			return
		}
		if err := cfg.SetPeers(ctx, peers); err != nil {
			log.Warn("installing routes to other nodes' pods failed; the network check retries", "err", err)
		}
		last = peers
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { update() }, UpdateFunc: func(any, any) { update() }, DeleteFunc: func(any) { update() },
	}); err != nil {
		log.Error("watching the cluster's Nodes failed", "err", err)
		return
	}
	// client-go logs through klog's contextual logger: hand it ours.
	informer.RunWithContext(klog.NewContext(ctx, logr.FromSlogHandler(log.Handler())))
}

func samePeer(a, b cni.Peer) bool { return a.String() == b.String() }
