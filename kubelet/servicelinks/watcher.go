// Package servicelinks keeps the cluster's Services in memory for the
// environment variables the kubelet gives every container of a pod
// (FOO_SERVICE_HOST, FOO_PORT, ...: translate.ServiceEnv).
package servicelinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/minikubelet/minikubelet/kubelet/kubeapi"
	"github.com/minikubelet/minikubelet/kubelet/translate"
)

// callTimeout bounds one list of every Service.
const callTimeout = 30 * time.Second

// ErrNotSynced is the answer until the Services were listed once: a
// container started before would miss its variables, so its start waits
// and is retried, as the kubelet's does.
var ErrNotSynced = errors.New("the cluster's Services have not been read yet, so the service variables cannot be set; the container starts once they are")

// Watcher is a client-go informer on every Service.
type Watcher struct {
	informer cache.SharedIndexInformer
	lastErr  atomic.Pointer[error] // why the last list or watch failed
}

// New makes a Watcher that reads through the client services returns,
// waiting for it (the node's client exists only after TLS bootstrapping).
func New(services func(ctx context.Context) (kubeapi.Services, error)) *Watcher {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, _ metav1.ListOptions) (runtime.Object, error) {
			client, err := services(ctx)
			if err != nil {
				return nil, err
			}
			callCtx, cancel := context.WithTimeout(ctx, callTimeout)
			defer cancel()
			return client.List(callCtx)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			client, err := services(ctx)
			if err != nil {
				return nil, err
			}
			return client.Watch(ctx, opts)
		},
	}
	w := &Watcher{informer: cache.NewSharedIndexInformer(kubeapi.ListThenWatch{ListWatch: lw}, &v1.Service{}, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})}
	// Only what the variables need is kept: a cluster's Services can be
	// many, and each may carry large annotations.
	// Both fail only on an informer already started; this one is not.
	_ = w.informer.SetTransform(slim)
	_ = w.informer.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		w.lastErr.Store(&err)
	})
	return w
}

// slim keeps of a Service its name, namespace, cluster IP and ports.
func slim(obj any) (any, error) {
	s, ok := obj.(*v1.Service)
	if !ok {
		return obj, nil
	}
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, ResourceVersion: s.ResourceVersion},
		Spec:       v1.ServiceSpec{ClusterIP: s.Spec.ClusterIP, Ports: s.Spec.Ports},
	}, nil
}

// Run keeps the Services until ctx ends.
func (w *Watcher) Run(ctx context.Context, log *slog.Logger) {
	// client-go logs through klog's contextual logger: hand it ours.
	w.informer.RunWithContext(klog.NewContext(ctx, logr.FromSlogHandler(log.Handler())))
}

// ForPod returns the Services whose variables a pod in namespace sees.
// Until they were listed once it is ErrNotSynced, except for a static
// pod, which gets what is known: a node must start its static pods (the
// control plane's own, maybe) without an API server, as the kubelet does.
func (w *Watcher) ForPod(namespace string, enableServiceLinks *bool, static bool) ([]*v1.Service, error) {
	if !static && !w.informer.HasSynced() {
		if err := w.lastErr.Load(); err != nil {
			return nil, fmt.Errorf("%w (the last try: %v)", ErrNotSynced, *err)
		}
		return nil, ErrNotSynced
	}
	// Only the pod's namespace and default (the API server's own Service),
	// by the namespace index: a container start does not walk the cluster.
	var all []*v1.Service
	for _, ns := range []string{namespace, metav1.NamespaceDefault} {
		objs, err := w.informer.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
		if err != nil {
			return nil, fmt.Errorf("reading the Services of %s: %w", ns, err)
		}
		for _, obj := range objs {
			if s, ok := obj.(*v1.Service); ok {
				all = append(all, s)
			}
		}
		if namespace == metav1.NamespaceDefault {
			break
		}
	}
	return translate.ServicesForPod(all, namespace, enableServiceLinks), nil
}
